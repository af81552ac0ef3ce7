#include "sweep_command.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "pgdx/io/h5_file.hpp"
#include "pgdx/io/run_file_check.hpp"
#include "pgdx/io/run_lock.hpp"
#include "pgdx/io/sweep_config.hpp"
#include "pgdx/util/errors.hpp"
#include "pgdx/util/host_clock.hpp"
#include "postprocess_hint.hpp"
#include "train_command.hpp"

extern char** environ;

namespace pgdx::app {
namespace {

namespace fs = std::filesystem;

std::string out_dir_of(const SweepArguments& args, const io::SweepSpec& spec) {
  return args.out_dir.empty() ? "runs/" + spec.stem() : args.out_dir;
}

// completed | diverged | interrupted (from the file) | corrupt (a final file that is not whole:
// damaged data, short or missing datasets, no readable status; its status attribute is not to be
// trusted) | partial (only a .partial: still running, or killed before it could write its file) | missing.
// A running point must not read as "corrupt": sweeps are checked while they run.
std::string point_status(const std::string& dir, const std::string& name) {
  const std::string base = (fs::path(dir) / name).string();
  if (fs::exists(base + ".h5")) return io::to_string(io::check_run_file(base + ".h5").state);
  return fs::exists(base + ".h5.partial") ? "partial" : "missing";
}

bool finished(const std::string& status) { return status == "completed" || status == "diverged"; }

// Who runs the point now, if anyone (its run lock is held): such a point is neither to be started
// here nor to be called failed, whatever its files say.
std::optional<io::LockHolder> running_elsewhere(const std::string& dir, const std::string& name) {
  return io::probe_run_lock(io::run_lock_path(dir, name));
}

long task_id_of(const SweepArguments& args, const io::SweepSpec& spec) {
  long k = -1;
  if (args.task_id) {
    k = *args.task_id;
  } else if (const char* slurm = std::getenv("SLURM_ARRAY_TASK_ID")) {
    k = std::atol(slurm);
  } else {
    throw ConfigError(spec.file(), "", "--task-id is missing and SLURM_ARRAY_TASK_ID is not set");
  }
  if (k < 0 || k >= static_cast<long>(spec.count()))
    throw ConfigError(spec.file(), "", "task id " + std::to_string(k) + " is out of range 0.." +
                                           std::to_string(spec.count() - 1));
  return k;
}

std::string self_path() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("pgdx") : p.string();
}

// Opens a point's log for one more attempt: appended to, never truncated (another runner's
// attempt, or an earlier one, keeps its output), after a header line naming this attempt.
int open_log(const std::string& log, long k) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + log + ": " + std::strerror(errno));
  char header[512];
  const int n = std::snprintf(header, sizeof header,
                              "==== pgdx sweep --local: point %ld on host %s, pid %ld, %s ====\n", k,
                              host_name().c_str(), static_cast<long>(getpid()), utc_now().c_str());
  if (::write(fd, header, static_cast<std::size_t>(n)) != n) {
    ::close(fd);
    throw std::runtime_error("cannot write " + log + ": " + std::strerror(errno));
  }
  return fd;
}

// How the attempt that was told to report to `path` ended (a RunOutcome name), and the file
// removed; empty if it did not say (it crashed, or mpirun could not start it).
std::string take_outcome(const std::string& path) {
  std::string word;
  std::ifstream(path) >> word;
  std::remove(path.c_str());
  return word;
}

// Starts `mpirun -n R pgdx sweep FILE --task-id K …` with output to `log_fd` and
// PGDX_SWEEP_OUTCOME=`outcome` in its environment; returns its pid.
pid_t launch_point(const SweepArguments& args, const std::string& out, long k, int log_fd,
                   const std::string& outcome) {
  const char* mpiexec = std::getenv("PGDX_MPIEXEC");
  std::vector<std::string> argv = {mpiexec ? mpiexec : "mpirun", "-n", std::to_string(args.ranks)};
  // Each mpirun binds its ranks from core 0 up, unaware of any other: points side by side (-j > 1),
  // two sweeps started from two shells, or a sweep beside a training run would all share the first
  // cores (measured: two 1-rank points on core 0, 2.9x slower; two -j 1 sweeps, each point at 50 %
  // of one core). Binding bought nothing measurable (docs/performance.md, the grid shape), so the
  // launcher never binds.
  argv.insert(argv.end(), {"--bind-to", "none"});
  argv.insert(argv.end(), {self_path(), "sweep", args.config_file, "--task-id", std::to_string(k), "--out", out,
                           "--quiet"});
  for (const std::string& o : args.overrides) {
    argv.push_back("--set");
    argv.push_back(o);
  }
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  std::vector<std::string> env = {"PGDX_SWEEP_OUTCOME=" + outcome};
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "PGDX_SWEEP_OUTCOME=", 19) != 0) env.emplace_back(*e);
  std::vector<char*> cenv;
  for (std::string& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("cannot start ") + cargv[0] + ": " + std::strerror(rc));
  return pid;
}

int run_local(const SweepArguments& args, const io::SweepSpec& spec) {
  const std::string out = out_dir_of(args, spec);
  fs::create_directories(fs::path(out) / "logs");
  std::vector<long> todo;
  for (long k = 0; k < static_cast<long>(spec.count()); ++k)
    if (!finished(point_status(out, spec.point_name(k)))) todo.push_back(k);
  std::printf("sweep %s: %zu points, %zu to run, %d at a time, %d rank%s each -> %s/\n", spec.file().c_str(),
              spec.count(), todo.size(), args.jobs, args.ranks, args.ranks == 1 ? "" : "s", out.c_str());
  std::fflush(stdout);
  // Points and ranks already fill the cores: one BLAS thread per rank, unless the user chose.
  // (Threads of side-by-side runs yield to each other: an SGD step of Fig. 5 took 82 ms instead of
  // 2.6 ms with OpenBLAS's default next to two other runs.)
  setenv("OPENBLAS_NUM_THREADS", "1", /*overwrite=*/0);
  // Each child says how its point ended in a file of this runner's own (a log is shared with
  // other runners, so its text cannot tell whose attempt wrote what).
  std::string outcomes = (fs::temp_directory_path() / "pgdx-sweep-XXXXXX").string();
  if (!mkdtemp(outcomes.data()))
    throw std::runtime_error("cannot create " + outcomes + ": " + std::strerror(errno));
  struct OutcomesFolder {
    std::string path;
    ~OutcomesFolder() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } outcomes_folder{outcomes};
  struct Attempt {
    long k;
    std::string outcome;
  };
  std::map<pid_t, Attempt> running;
  std::size_t next = 0, done = 0, failures = 0, diverged = 0, elsewhere = 0, finished_now = 0;
  // Another runner (a second `sweep --local`, an array element) may hold or finish any point
  // while this one works through its list: such points are reported, never started or failed.
  const auto report_elsewhere = [&](long k, const std::string& what) {
    ++elsewhere;
    std::printf("[%zu/%zu] point %ld %s: %s\n", ++done, todo.size(), k, spec.point_name(k).c_str(), what.c_str());
    std::fflush(stdout);
  };
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && static_cast<int>(running.size()) < args.jobs) {
      const long k = todo[next++];
      if (const auto holder = running_elsewhere(out, spec.point_name(k))) {
        report_elsewhere(k, "running elsewhere (" + holder->describe() + "); skipped");
        continue;
      }
      if (const std::string status = point_status(out, spec.point_name(k)); finished(status)) {
        ++finished_now;
        report_elsewhere(k, status + " elsewhere; skipped");
        continue;
      }
      const std::string log = (fs::path(out) / "logs" / (spec.point_name(k) + ".log")).string();
      const std::string outcome = (fs::path(outcomes) / std::to_string(k)).string();
      const int fd = open_log(log, k);
      pid_t pid = 0;
      try {
        pid = launch_point(args, out, k, fd, outcome);
      } catch (...) {
        ::close(fd);
        throw;
      }
      ::close(fd);
      running[pid] = Attempt{k, outcome};
    }
    if (running.empty()) continue;
    int wstatus = 0;
    const pid_t pid = waitpid(-1, &wstatus, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Attempt attempt = it->second;
    const long k = attempt.k;
    running.erase(it);
    const std::string status = point_status(out, spec.point_name(k));
    if (finished(status)) ++finished_now;
    const bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    const std::string outcome = take_outcome(attempt.outcome);
    if (outcome == to_string(RunOutcome::running_elsewhere) || outcome == to_string(RunOutcome::finished_already)) {
      report_elsewhere(k, finished(status) ? status + " elsewhere" : "running elsewhere");
      continue;
    }
    if (!finished(status)) {
      if (const auto holder = running_elsewhere(out, spec.point_name(k))) {
        report_elsewhere(k, "running elsewhere (" + holder->describe() + ")" +
                                (ok ? "" : "; this attempt exited non-zero, see logs/"));
        continue;
      }
    }
    ++done;
    if (!ok || !finished(status)) ++failures;
    if (status == "diverged") ++diverged;  // finished, but a user should not miss it
    std::printf("[%zu/%zu] point %ld %s: %s%s\n", done, todo.size(), k, spec.point_name(k).c_str(), status.c_str(),
                ok ? "" : " (non-zero exit; see logs/)");
    std::fflush(stdout);
  }
  // Drawing needs finished runs in the folder, from before this call or from it. Printed before the
  // summary, which scripts read as the last line.
  if (spec.count() > todo.size() || finished_now > 0)
    if (const std::string command = postprocess_command(spec.file(), out); !command.empty())
      std::printf("post-process: %s\n", command.c_str());
  std::printf("sweep finished: %zu run, %zu failed, %zu diverged, %zu elsewhere\n", done - elsewhere, failures,
              diverged, elsewhere);
  return failures == 0 ? 0 : 1;
}

}  // namespace

bool sweep_needs_mpi(const SweepArguments& args) {
  return !(args.count || args.list || args.status || args.local);
}

int run_sweep(const SweepArguments& args, const std::function<parallel::Comm()>& world) {
  const io::SweepSpec spec = io::load_sweep(args.config_file, args.overrides);  // validates every point
  if (args.count) {
    std::printf("%zu\n", spec.count());
    return 0;
  }
  if (args.list) {
    for (std::size_t k = 0; k < spec.count(); ++k) {
      std::printf("%zu %s", k, spec.point_name(k).c_str());
      for (const std::string& o : spec.point_overrides(k)) std::printf(" %s", o.c_str());
      std::printf("\n");
    }
    return 0;
  }
  if (args.status) {
    const std::string out = out_dir_of(args, spec);
    std::map<std::string, int> counts;
    for (std::size_t k = 0; k < spec.count(); ++k) {
      const auto holder = running_elsewhere(out, spec.point_name(k));
      const std::string status = holder ? "running" : point_status(out, spec.point_name(k));
      ++counts[status];
      std::printf("%zu %-11s %s%s\n", k, status.c_str(), spec.point_name(k).c_str(),
                  holder ? ("  (" + holder->describe() + ")").c_str() : "");
    }
    std::printf("total %zu:", spec.count());
    for (const char* s : {"completed", "running", "interrupted", "diverged", "corrupt", "partial", "missing"})
      std::printf(" %s %d", s, counts[s]);
    std::printf("\n");
    return 0;
  }
  if (args.local) return run_local(args, spec);

  const long k = task_id_of(args, spec);
  TrainArguments train;
  train.out_dir = out_dir_of(args, spec);
  train.quiet = args.quiet;
  train.resume = true;  // a completed point is skipped, an interrupted one continues
  train.print_postprocess = false;  // a point is a part: the sweep's figure is drawn from the folder
  const parallel::Comm comm = world();
  RunOutcome outcome = RunOutcome::ran;
  const int code = run_configured(spec.point_config(static_cast<std::size_t>(k)), train, comm, &outcome);
  // `sweep --local` asks each point it starts how it ended (run_local).
  if (const char* report = std::getenv("PGDX_SWEEP_OUTCOME"); report && *report && comm.is_root())
    std::ofstream(report) << to_string(outcome) << "\n";
  return code;
}

}  // namespace pgdx::app
