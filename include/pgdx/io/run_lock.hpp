#pragma once
// One writer per run: rank 0 holds an exclusive lock on OUT/NAME.h5.lock for the whole run, so two
// runners of one point (a sweep started twice, an array submitted twice, two `train --resume`)
// never write the same NAME.h5.partial. A POSIX record lock (fcntl) where the file system has
// them — it works over NFS, and the kernel drops it when its holder dies — else an O_EXCL lock
// file judged stale by liveness rules. What each file system guarantees: docs/cluster.md.
//
// The file holds its holder as `key value` lines (host, pid, slurm_job_id, slurm_array_job_id,
// slurm_array_task_id, since, method), for the "running elsewhere" message and for people.
#include <optional>
#include <string>

namespace pgdx::io {

struct LockHolder {
  std::string host;
  long pid = 0;
  std::string slurm_job_id, slurm_array_job_id, slurm_array_task_id;  // empty outside Slurm
  std::string since;                                                  // UTC, ISO 8601
  std::string method;  // "fcntl" | "exclusive-file": how the holder locked

  // "host H, pid P, since T"
  std::string describe() const;
};

enum class LockMethod {
  automatic,       // fcntl record lock; the exclusive file only where the file system refuses fcntl
  exclusive_file,  // always the O_EXCL file (PGDX_RUN_LOCK=file: Lustre with node-local localflock)
};

// OUT/NAME.h5.lock
std::string run_lock_path(const std::string& out_dir, const std::string& run_name);

// LockMethod::exclusive_file if PGDX_RUN_LOCK=file, else automatic; other values are bad input.
LockMethod lock_method_from_environment();

class RunLock {
 public:
  // One attempt, never waits: either acquired(), or holder() names who has the lock. Creates the
  // directory. Throws only when the lock file cannot be used at all (permissions, no directory).
  static RunLock try_acquire(const std::string& path, LockMethod method = LockMethod::automatic);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

  bool acquired() const { return fd_ >= 0; }
  // When not acquired: the live holder (fields may be empty if its file was unreadable).
  const LockHolder& holder() const { return holder_; }
  // When acquired over the text of an earlier holder that is gone (crashed, killed): that holder.
  const std::optional<LockHolder>& taken_over() const { return taken_over_; }
  // Unlinks the file, then closes it (closing first would let a newcomer lock the doomed inode).
  void release() noexcept;

 private:
  RunLock() = default;
  std::string path_;
  int fd_ = -1;
  LockHolder holder_;
  std::optional<LockHolder> taken_over_;
};

// Who holds the lock at `path`, if anyone, without taking it (F_GETLK): a probe must never make a
// real runner fail. A file left by a dead holder reads as free. Never call it in the holding
// process: its own lock never conflicts, and closing the probe's descriptor would drop that lock.
std::optional<LockHolder> probe_run_lock(const std::string& path);

}  // namespace pgdx::io
