#include <choline/cli/app.hpp>
#include <choline/cli/command.hpp>

namespace choline::cli {

const std::vector<CommandInfo>& command_table() {
  static const std::vector<CommandInfo> table = {
      {"train", "Rent hosts and run distributed training on every GPU",
       "ENTRY is a Python script (run with the configured python, torchrun's environment set) or an\n"
       "executable in the project; words after ENTRY that are not choline options go to it, and\n"
       "everything after '--' goes to it verbatim. Without ENTRY, '--' introduces the command:\n"
       "  choline train tr.py --4x3090 --lr 0.1\n"
       "  choline train --nodes 2 --8xH100 -- ./build/trainer --epochs 10\n"
       "GPU specs: --<N>x<GPU> per host (--4x3090, --1xA100-80GB, --8xH100, --2xcpu) or --gpus GPU:N.",
       false, make_train_command},
      {"resume", "Re-attach to a run, or restart it from its last checkpoint",
       "Without RUN, the latest run of this project. A run whose hosts are still training is\n"
       "re-attached (logs stream again); a stopped or failed run is restarted on new hosts with\n"
       "CHOLINE_RESUME_FROM pointing at its last checkpoint.",
       false, make_resume_command},
      {"logs", "Show a run's logs (-f to follow; filter by rank, node, attempt, regex, age)",
       "Logs are kept locally in .choline/runs/<run>/logs/, one file per rank; lines are shown\n"
       "with their node/rank prefix (a colour per rank on a terminal) and worker stderr lines carry\n"
       "'[stderr] '. Following resumes where it stopped, so no line repeats. The filters combine,\n"
       "with -f too:\n"
       "  choline logs --rank 0 --grep 'loss|acc'     rank 0's lines that match\n"
       "  choline logs --node 1 --attempt 2           what node 1 wrote in attempt 2\n"
       "  choline logs -f --since 10m                 the last ten minutes, then new lines\n"
       "--since counts from when lines reached this machine (the host's clock is not trusted, and\n"
       "workers' lines carry no times): lines fetched later, e.g. by 'logs -f' after the laptop was\n"
       "away, count from when they were fetched.",
       false, make_logs_command},
      {"status", "Show runs and their hosts, attempts, cost and state", "", false, make_status_command},
      {"stop", "Stop a run and release its hosts",
       "Stops the workers, pulls the last checkpoints, and releases (destroys) rented hosts.", false,
       make_stop_command},
      {"offers", "List the machines a provider offers for a GPU spec, cheapest first", "", false,
       make_offers_command},
      {"sync", "Sync a directory to or from a host with rsync-style deltas",
       "Either side may be a local path or [user@]host[:port]:/path. Unchanged files are skipped,\n"
       "changed files travel as librsync deltas, and nothing is written outside DEST.",
       false, make_sync_command},
      {"metrics", "Show a run's latest metrics and a chart of its loss over steps",
       "Metrics come from the workers' 'choline-metrics: {json}' lines, merged across attempts in\n"
       ".choline/runs/<run>/metrics.jsonl. --json prints the latest values and the whole history.",
       false, make_metrics_command},
      {"card", "Show the model card of a checkpoint: run, code, data, metrics, hardware",
       "Every checkpoint pulled home gets <checkpoint>.card.json beside it. CHECKPOINT may be a copy\n"
       "elsewhere: its card is read from beside it, or found by the checkpoint's checksum among this\n"
       "project's runs; the file is checked against the card's size and XXH3-128.",
       false, make_card_command},
      {"report", "Write a self-contained HTML report of a run (charts, timeline, cost, model cards)",
       "One file with no scripts and nothing loaded from the network: every metric charted over steps\n"
       "with attempts shaded and restarts and host losses marked, the hosts and attempts, duration and\n"
       "cost, the command and the model cards.",
       false, make_report_command},
      {"sweep", "Run many trials of a script over a pool of hosts, stop hopeless ones early, rank them",
       "Parameters from -p flags or a W&B sweep file (--config sweep.yaml); each trial is a run under\n"
       "the sweep (choline logs SWEEP/7) and gets them as --name=value after the entry and as\n"
       "CHOLINE_TRIAL / CHOLINE_PARAMS in its environment. Metrics come from 'choline-metrics:' lines.\n"
       "  choline sweep tr.py --1x3090 --parallel 4 --trials 32 -p lr=loguniform:1e-5:1e-1 \\\n"
       "      -p width=choice:64,128,256 --metric test_accuracy --maximize\n"
       "  choline sweep status [SWEEP] [--json]    every trial, best first\n"
       "  choline sweep best SWEEP                 the best trial as a choline train command\n"
       "  choline sweep resume SWEEP               go on after the laptop died (or choline stop SWEEP)\n"
       "--parallel N rents N hosts once and feeds trials to them; --max-cost caps the whole sweep.",
       false, make_sweep_command},
      {"data", "Show the project's data entries and which hosts hold them, or stage them on a host",
       "Data entries (\"data\" in choline.json) travel to every host of a run on their own, into a cache\n"
       "on the host named by their content, and are linked at their `to` path in the working directory:\n"
       "  choline data status                  each entry's version and size, and the hosts holding it\n"
       "  choline data push --host gpu-box     stage them on an ssh host before training\n"
       "A host that holds a version is sent nothing for it; a changed dataset sends about its delta.",
       false, make_data_command},
      {"init", "Write a commented choline.json for this project",
       "Looks at the project directory: requirements.txt proposes '$CHOLINE_PYTHON -m pip install -r\n"
       "requirements.txt' as setup, pyproject.toml 'pip install .', CMakeLists.txt a cmake configure and\n"
       "build; train.py, tr.py or main.py (else the one top-level script with a __main__ block) is the\n"
       "entry it suggests. Every other key is in the file, commented out, with what it does. An\n"
       "existing choline.json is never overwritten. With --config PATH, writes PATH instead.",
       false, make_init_command},
      {"agent", "Internal: the program choline runs on each host", "", true, make_agent_command},
  };
  return table;
}

}  // namespace choline::cli

namespace choline {

int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return run_with_table(cli::command_table(), args, out, err);
}

int app_main(int argc, char** argv) { return app_main_with(cli::command_table(), argc, argv); }

}  // namespace choline
