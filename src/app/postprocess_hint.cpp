#include "postprocess_hint.hpp"

#include <cctype>
#include <filesystem>

namespace pgdx::app {
namespace {

namespace fs = std::filesystem;

// The figures postprocess/__main__.py draws from a job's own runs: fig2 has no job
// (tests/e2e/test_everyday_tools.py holds this list to the package's).
constexpr const char* kFigures[] = {"fig1", "fig3",  "fig4",  "fig5",  "fig6",  "fig7",
                                    "fig8", "fig9", "fig10", "fig11", "fig12", "fig13"};
// Draws any history quantity of any runs: the fallback for jobs of no figure.
constexpr const char* kGenericCommand = "seed-bands";

// The word as the shell reads it back: as it is when it holds only safe characters, else in single
// quotes (a quote inside becomes '\'').
std::string shell_word(const std::string& word) {
  const bool safe = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                            "0123456789_./-+=:,@%") == std::string::npos;
  if (safe) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string figure_of_job(const std::string& job_file) {
  std::string stem = fs::path(job_file).stem().string();
  if (stem.rfind("smoke_", 0) == 0) stem.erase(0, 6);
  std::size_t end = 3;
  while (end < stem.size() && std::isdigit(static_cast<unsigned char>(stem[end]))) ++end;
  if (stem.rfind("fig", 0) != 0 || end == 3 || (end < stem.size() && stem[end] != '_')) return "";
  const std::string figure = stem.substr(0, end);
  for (const char* known : kFigures)
    if (figure == known) return figure;
  return "";
}

std::string postprocess_program() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path installed = self.parent_path() / "pgdx-post";
    if (fs::exists(installed, error)) return installed.string();
  }
  const fs::path source_tree = fs::path(PGDX_SOURCE_DIR) / "scripts" / "postprocess";
  return fs::exists(source_tree, error) ? source_tree.string() : std::string();
}

std::string postprocess_command(const std::string& job_file, const std::string& runs) {
  try {
    const std::string program = postprocess_program();
    if (program.empty()) return "";
    fs::path where = fs::absolute(runs).lexically_normal();
    if (where.filename().empty()) where = where.parent_path();  // "runs/" is the folder runs
    const std::string figure = figure_of_job(job_file);
    const std::string command = figure.empty() ? kGenericCommand : figure;
    // A run file's figure lies beside it (NAME.png), a folder's inside it (FIGURE.png).
    std::error_code error;
    const bool folder = fs::is_directory(where, error);
    const fs::path png =
        folder ? where / (command + ".png") : where.parent_path() / (where.stem().string() + ".png");
    return shell_word(program) + " " + command + " " + shell_word(where.string()) + " -o " + shell_word(png.string());
  } catch (const std::exception&) {  // a hint: it must never fail the run it follows (no cwd, …)
    return "";
  }
}

}  // namespace pgdx::app
