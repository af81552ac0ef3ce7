#include "pgdx/util/host_clock.hpp"
#include "pgdx/io/run_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "pgdx/util/errors.hpp"

namespace pgdx::io {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFcntl = "fcntl";
constexpr const char* kExclusiveFile = "exclusive-file";

std::runtime_error failure(const std::string& path, const std::string& what, int error) {
  return std::runtime_error(path + ": " + what + ": " + std::strerror(error));
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string holder_text(const char* method) {
  std::string text = "host " + host_name() + "\npid " + std::to_string(static_cast<long>(getpid())) + "\n";
  for (const char* variable : {"SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID"}) {
    const std::string value = environment(variable);
    if (value.empty()) continue;
    std::string key = variable;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    text += key + " " + value + "\n";
  }
  return text + "since " + utc_now() + "\nmethod " + method + "\n";
}

std::optional<LockHolder> parse_holder(const std::string& text) {
  LockHolder holder;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "host") holder.host = value;
    else if (key == "pid") holder.pid = std::atol(value.c_str());
    else if (key == "slurm_job_id") holder.slurm_job_id = value;
    else if (key == "slurm_array_job_id") holder.slurm_array_job_id = value;
    else if (key == "slurm_array_task_id") holder.slurm_array_task_id = value;
    else if (key == "since") holder.since = value;
    else if (key == "method") holder.method = value;
  }
  if (holder.host.empty() || holder.pid <= 0) return std::nullopt;
  return holder;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[1024];
  for (off_t offset = 0;;) {
    const ssize_t n = pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
}

// A new holder writes its text just after it locked (or created) the file: give it a moment.
std::optional<LockHolder> read_holder(int fd) {
  for (int attempt = 0;; ++attempt) {
    if (auto holder = parse_holder(read_all(fd)); holder || attempt == 10) return holder;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void write_text(int fd, const std::string& path, const std::string& text) {
  if (ftruncate(fd, 0) != 0) throw failure(path, "cannot write the run lock", errno);
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw failure(path, "cannot write the run lock", errno);
    done += static_cast<std::size_t>(n);
  }
  fsync(fd);  // NFS: other clients read the holder from the server, not from our page cache
}

// Whether `path` still names the inode behind `fd`: a releasing holder unlinks the file, so a
// runner that opened it before the unlink can lock an inode nobody else will ever look at.
bool names_same_file(int fd, const std::string& path) {
  struct stat opened {}, named {};
  return fstat(fd, &opened) == 0 && stat(path.c_str(), &named) == 0 && opened.st_dev == named.st_dev &&
         opened.st_ino == named.st_ino;
}

// The errno values of a file system without (working) POSIX record locks: NFS without lockd,
// Lustre mounted without flock or localflock, some FUSE file systems.
bool locking_unsupported(int error) {
  return error == ENOLCK || error == EOPNOTSUPP || error == ENOSYS || error == EINVAL;
}

// Whether Slurm says the job is over: `squeue -h -j ID` prints nothing, or the controller no
// longer knows the id. No squeue, or no answer from the controller, is "not known to be over".
bool slurm_job_ended(const std::string& id) {
  if (id.empty() || id.find_first_not_of("0123456789_") != std::string::npos) return false;
  FILE* pipe = popen(("squeue -h -j " + id + " 2>&1").c_str(), "r");
  if (!pipe) return false;
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status)) return false;
  if (WEXITSTATUS(status) == 0) return output.find_first_not_of(" \t\r\n") == std::string::npos;
  return output.find("Invalid job id") != std::string::npos;
}

// The liveness rules of a lock file without a kernel lock behind it (docs/cluster.md).
bool holder_gone(const LockHolder& holder) {
  if (holder.host == host_name() && kill(static_cast<pid_t>(holder.pid), 0) == -1 && errno == ESRCH) return true;
  return slurm_job_ended(holder.slurm_job_id);
}

}  // namespace

std::string LockHolder::describe() const {
  return "host " + (host.empty() ? std::string("unknown") : host) + ", pid " +
         (pid > 0 ? std::to_string(pid) : std::string("unknown")) + ", since " +
         (since.empty() ? std::string("unknown") : since);
}

std::string run_lock_path(const std::string& out_dir, const std::string& run_name) {
  return (fs::path(out_dir.empty() ? "." : out_dir) / run_name).string() + ".h5.lock";
}

LockMethod lock_method_from_environment() {
  const std::string value = environment("PGDX_RUN_LOCK");
  if (value.empty() || value == "auto") return LockMethod::automatic;
  if (value == "file") return LockMethod::exclusive_file;
  throw InputError("environment variable PGDX_RUN_LOCK: expected 'auto' or 'file' (got '" + value + "')");
}

RunLock RunLock::try_acquire(const std::string& path, LockMethod method) {
  const fs::path directory = fs::path(path).parent_path();
  if (!directory.empty()) fs::create_directories(directory);
  RunLock lock;
  lock.path_ = path;
  bool use_fcntl = method == LockMethod::automatic;
  // Each pass either ends, or saw the file change hands under it (released, replaced, taken over).
  for (int pass = 0; pass < 20; ++pass) {
    bool created = false;
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0 && errno == EEXIST) continue;
      created = fd >= 0;
    }
    if (fd < 0) throw failure(path, "cannot open the run lock", errno);

    if (use_fcntl) {
      struct flock request {};
      request.l_type = F_WRLCK;
      request.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file, however long
      if (fcntl(fd, F_SETLK, &request) == 0) {
        if (!names_same_file(fd, path)) {
          ::close(fd);
          continue;
        }
        if (auto previous = parse_holder(read_all(fd))) {
          // A holder on a file system we saw without fcntl locks (or PGDX_RUN_LOCK=file) took no
          // kernel lock: only its liveness says whether the file is still its.
          if (previous->method == kExclusiveFile && !holder_gone(*previous)) {
            ::close(fd);
            lock.holder_ = *previous;
            return lock;
          }
          lock.taken_over_ = previous;
        }
        try {
          write_text(fd, path, holder_text(kFcntl));
        } catch (...) {
          ::close(fd);
          throw;
        }
        lock.fd_ = fd;
        return lock;
      }
      const int error = errno;
      if (error == EACCES || error == EAGAIN) {
        auto holder = read_holder(fd);
        if (!holder) {
          holder = LockHolder{};
          struct flock query {};
          query.l_type = F_WRLCK;
          query.l_whence = SEEK_SET;
          if (fcntl(fd, F_GETLK, &query) == 0 && query.l_type != F_UNLCK) holder->pid = query.l_pid;
        }
        ::close(fd);
        lock.holder_ = *holder;
        return lock;
      }
      if (!locking_unsupported(error)) {
        ::close(fd);
        throw failure(path, "cannot lock the run lock", error);
      }
      use_fcntl = false;
    }

    // The exclusive file: whoever created it holds it.
    if (created) {
      try {
        write_text(fd, path, holder_text(kExclusiveFile));
      } catch (...) {
        ::unlink(path.c_str());
        ::close(fd);
        throw;
      }
      lock.fd_ = fd;
      return lock;
    }
    const auto previous = read_holder(fd);
    struct stat judged {};
    const bool judged_ok = fstat(fd, &judged) == 0;
    ::close(fd);
    if (!previous || !judged_ok || !holder_gone(*previous)) {
      // An unreadable file is not known to be stale: it holds the point until someone removes it.
      lock.holder_ = previous.value_or(LockHolder{});
      return lock;
    }
    // Stale. Move it aside first and check afterwards that it is the file we judged: another
    // runner may have taken it over and created its own in between, and that one must stay.
    const std::string aside = path + ".stale." + host_name() + "." + std::to_string(static_cast<long>(getpid()));
    if (std::rename(path.c_str(), aside.c_str()) != 0) {
      if (errno == ENOENT) continue;
      throw failure(path, "cannot move the stale run lock aside", errno);
    }
    struct stat moved {};
    if (stat(aside.c_str(), &moved) == 0 && moved.st_dev == judged.st_dev && moved.st_ino == judged.st_ino) {
      ::unlink(aside.c_str());
      lock.taken_over_ = previous;
    } else {
      std::rename(aside.c_str(), path.c_str());  // a live runner's file: put it back
    }
  }
  throw std::runtime_error(path + ": the run lock changed hands 20 times while being taken; giving up");
}

RunLock::RunLock(RunLock&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(other.fd_),
      holder_(std::move(other.holder_)),
      taken_over_(std::move(other.taken_over_)) {
  other.fd_ = -1;
}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    holder_ = std::move(other.holder_);
    taken_over_ = std::move(other.taken_over_);
    other.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() { release(); }

void RunLock::release() noexcept {
  if (fd_ < 0) return;
  if (names_same_file(fd_, path_)) ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

std::optional<LockHolder> probe_run_lock(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock query {};
  query.l_type = F_WRLCK;
  query.l_whence = SEEK_SET;
  const int rc = fcntl(fd, F_GETLK, &query);
  const int error = errno;
  std::optional<LockHolder> holder;
  if (rc == 0 && query.l_type != F_UNLCK) {
    holder = read_holder(fd).value_or(LockHolder{});
    if (holder->pid <= 0) holder->pid = query.l_pid;
  } else if (rc == 0 || locking_unsupported(error)) {
    // No kernel lock: free, unless the text is of a holder that takes none and is alive.
    const auto text = parse_holder(read_all(fd));
    if (text && (rc != 0 || text->method == kExclusiveFile) && !holder_gone(*text)) holder = text;
  }
  ::close(fd);
  return holder;
}

}  // namespace pgdx::io
