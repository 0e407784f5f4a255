#include <choline/spec/job.hpp>

namespace choline::spec {

Result<JobCommand> make_job_command(const std::optional<std::string>& entry, EntryKind entry_kind,
                                    const std::vector<std::string>& entry_args,
                                    const std::vector<std::string>& passthrough, const std::string& python) {
  if (!entry) {
    if (passthrough.empty()) {
      return make_error(ErrorKind::usage,
                        "nothing to run: give a script (choline train tr.py --2xcpu) or a command after '--' "
                        "(choline train --2xcpu -- ./trainer --epochs 3)");
    }
    return JobCommand{passthrough, ""};
  }
  std::vector<std::string> args = entry_args;
  args.insert(args.end(), passthrough.begin(), passthrough.end());
  switch (entry_kind) {
    case EntryKind::missing:
      return make_error(ErrorKind::usage, "entry '" + *entry + "' does not exist in the project directory");
    case EntryKind::outside_project:
      return make_error(ErrorKind::usage, "entry '" + *entry +
                                              "' is outside the project directory; only the project is synced to hosts "
                                              "(use -C DIR to choose the project)");
    case EntryKind::not_executable:
      return make_error(ErrorKind::usage, "entry '" + *entry + "' is neither a .py script nor executable: chmod +x it, "
                                              "or name its interpreter: choline train -- INTERPRETER " + *entry);
    case EntryKind::python_script: {
      JobCommand job{{python, *entry}, *entry};
      job.argv.insert(job.argv.end(), args.begin(), args.end());
      return job;
    }
    case EntryKind::executable: {
      JobCommand job{{"./" + *entry}, *entry};
      job.argv.insert(job.argv.end(), args.begin(), args.end());
      return job;
    }
  }
  return make_error(ErrorKind::internal, "unhandled entry kind");
}

}  // namespace choline::spec
