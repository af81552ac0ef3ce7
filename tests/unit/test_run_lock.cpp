// The run lock (one writer per run): a second runner — a forked process, since a process never
// conflicts with its own POSIX locks — is refused and told who holds it; a released lock is free;
// a file left by a dead holder is taken over; the probe reports without taking.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "pgdx/io/run_lock.hpp"
#include "scratch_dir.hpp"

using namespace pgdx;
namespace fs = std::filesystem;

namespace {

// Runs `work` in a forked child and returns what it returned (the child only computes: no Catch2
// and no MPI there, and _exit skips every atexit handler of the parent's libraries).
std::string in_child(const std::function<std::string()>& work) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string answer;
    try {
      answer = work();
    } catch (const std::exception& e) {
      answer = std::string("exception ") + e.what();
    }
    const ssize_t written = ::write(fds[1], answer.data(), answer.size());
    ::_exit(written == static_cast<ssize_t>(answer.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string answer;
  char buffer[512];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) answer.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  return answer;
}

// "acquired" or "held HOST PID" (a child's view of a lock attempt).
std::string attempt(const std::string& path, io::LockMethod method) {
  io::RunLock lock = io::RunLock::try_acquire(path, method);
  if (!lock.acquired()) return "held " + lock.holder().host + " " + std::to_string(lock.holder().pid);
  lock.release();
  return "acquired";
}

std::string probe(const std::string& path) {
  const auto holder = io::probe_run_lock(path);
  return holder ? "held " + holder->host + " " + std::to_string(holder->pid) : "free";
}

std::string this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

long dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_holder(const fs::path& path, long pid, const std::string& method) {
  std::ofstream(path) << "host " << this_host() << "\npid " << pid << "\nsince 2020-01-01T00:00:00Z\nmethod " << method
                      << "\n";
}

}  // namespace

TEST_CASE("a held run lock refuses a second process and names the holder, and once released it is free",
          "[io][run_lock]") {
  const fs::path dir = test::fresh_dir("run_lock_held");
  const std::string path = io::run_lock_path(dir.string(), "point");
  const std::string me = "held " + this_host() + " " + std::to_string(::getpid());
  for (const io::LockMethod method : {io::LockMethod::automatic, io::LockMethod::exclusive_file}) {
    INFO((method == io::LockMethod::automatic ? "fcntl" : "exclusive file"));
    {
      io::RunLock lock = io::RunLock::try_acquire(path, method);
      REQUIRE(lock.acquired());
      CHECK_FALSE(lock.taken_over());
      // Read in a child: opening and closing the file here would drop this process's lock.
      const std::string text = in_child([&] { return read_file(path); });
      CHECK(text.find("pid " + std::to_string(::getpid()) + "\n") != std::string::npos);
      CHECK(text.find("since ") != std::string::npos);
      CHECK(in_child([&] { return attempt(path, method); }) == me);
      // A runner of either kind respects the other's lock.
      CHECK(in_child([&] { return attempt(path, io::LockMethod::automatic); }) == me);
      CHECK(in_child([&] { return attempt(path, io::LockMethod::exclusive_file); }) == me);
      lock.release();
      CHECK_FALSE(fs::exists(path));
    }
    CHECK(in_child([&] { return attempt(path, method); }) == "acquired");
    CHECK_FALSE(fs::exists(path));  // the child released it properly
  }
  fs::remove_all(dir);
}

TEST_CASE("a run lock file left by a dead holder is taken over and names that holder", "[io][run_lock]") {
  const fs::path dir = test::fresh_dir("run_lock_stale");
  const std::string path = io::run_lock_path(dir.string(), "point");
  const long dead = dead_pid();
  for (const io::LockMethod method : {io::LockMethod::automatic, io::LockMethod::exclusive_file}) {
    for (const char* previous_method : {"fcntl", "exclusive-file"}) {
      INFO((method == io::LockMethod::automatic ? "fcntl" : "exclusive file") << " over " << previous_method);
      write_holder(path, dead, previous_method);
      io::RunLock lock = io::RunLock::try_acquire(path, method);
      REQUIRE(lock.acquired());
      REQUIRE(lock.taken_over());
      CHECK(lock.taken_over()->pid == dead);
      CHECK(lock.taken_over()->host == this_host());
      CHECK(lock.taken_over()->since == "2020-01-01T00:00:00Z");
      CHECK(lock.taken_over()->describe() ==
            "host " + this_host() + ", pid " + std::to_string(dead) + ", since 2020-01-01T00:00:00Z");
      CHECK(in_child([&] { return read_file(path); }).find("pid " + std::to_string(::getpid()) + "\n") !=
            std::string::npos);
    }
  }
  // A lock file without a kernel lock whose holder is alive (here: this process, as the text of
  // an exclusive-file holder) is not stale, whichever way the newcomer locks.
  write_holder(path, ::getpid(), "exclusive-file");
  const std::string me = "held " + this_host() + " " + std::to_string(::getpid());
  CHECK(in_child([&] { return attempt(path, io::LockMethod::exclusive_file); }) == me);
  CHECK(in_child([&] { return attempt(path, io::LockMethod::automatic); }) == me);
  CHECK(fs::exists(path));
  fs::remove_all(dir);
}

TEST_CASE("the run lock probe reports held and free without taking the lock", "[io][run_lock]") {
  const fs::path dir = test::fresh_dir("run_lock_probe");
  const std::string path = io::run_lock_path(dir.string(), "point");
  CHECK(probe(path) == "free");
  CHECK_FALSE(fs::exists(path));  // probing creates nothing
  const std::string me = "held " + this_host() + " " + std::to_string(::getpid());
  {
    io::RunLock lock = io::RunLock::try_acquire(path);
    REQUIRE(lock.acquired());
    CHECK(in_child([&] { return probe(path); }) == me);
    // The probe took nothing: the lock is still this process's.
    CHECK(in_child([&] { return attempt(path, io::LockMethod::automatic); }) == me);
  }
  CHECK(probe(path) == "free");
  // A dead holder's file reads as free and is left as it was.
  write_holder(path, dead_pid(), "fcntl");
  const std::string stale = read_file(path);
  CHECK(probe(path) == "free");
  CHECK(read_file(path) == stale);
  write_holder(path, dead_pid(), "exclusive-file");
  CHECK(probe(path) == "free");
  // An exclusive-file holder takes no kernel lock: its liveness decides.
  write_holder(path, ::getpid(), "exclusive-file");
  CHECK(in_child([&] { return probe(path); }) == me);
  fs::remove_all(dir);
}

TEST_CASE("PGDX_RUN_LOCK chooses the lock method, and another value is bad input", "[io][run_lock]") {
  ::unsetenv("PGDX_RUN_LOCK");
  CHECK(io::lock_method_from_environment() == io::LockMethod::automatic);
  ::setenv("PGDX_RUN_LOCK", "file", 1);
  CHECK(io::lock_method_from_environment() == io::LockMethod::exclusive_file);
  ::setenv("PGDX_RUN_LOCK", "flock", 1);
  CHECK_THROWS_WITH(io::lock_method_from_environment(), Catch::Contains("PGDX_RUN_LOCK") && Catch::Contains("flock"));
  ::unsetenv("PGDX_RUN_LOCK");
}
