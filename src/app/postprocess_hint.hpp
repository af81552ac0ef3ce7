#pragma once
// The command that draws a finished run or sweep, printed at its end ("post-process: …", just
// before the summary line) so that nobody needs to know where the Python package lives or which
// figure a job belongs to.
#include <string>

namespace pgdx::app {

// "fig9" when the job file's stem names a figure the post-processing draws ("fig9_regression2d",
// "smoke_fig4_pinn", "fig13_mnist_switch_seeds"); empty for any other job.
std::string figure_of_job(const std::string& job_file);

// The program that runs the post-processing from any directory, as an absolute path: pgdx-post
// beside this executable (an installed pgdx), else scripts/postprocess of the source tree it was
// built from; empty if neither exists (then there is nothing to print).
std::string postprocess_program();

// A shell command, absolute paths quoted where needed, that draws `runs` (one run file, or a
// sweep's folder) with the job's figure, else with `seed-bands` (the training loss over steps), to
// NAME.png beside a run file or FIGURE.png in a folder. Empty when postprocess_program() is.
std::string postprocess_command(const std::string& job_file, const std::string& runs);

}  // namespace pgdx::app
