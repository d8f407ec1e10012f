/** Usage texts, one per command, printed on `--help` (stdout) and on usage errors (stderr). */
export const USAGE = {
  main: `Usage: poolpilot <command> [options]

Commands:
  run [--config FILE]                      run the controller until SIGTERM/SIGINT
  validate FILE                            check a configuration file
  simulate --config FILE --trace FILE      replay a trace through the decision code

Run 'poolpilot <command> --help' for a command's options.`,
  run: `Usage: poolpilot run [--config FILE] [--host H] [--port N] [--proc-root DIR]
                     [--cgroup-root DIR] [--state-dir DIR] [--log-level LEVEL]
                     [--log-file FILE]

Runs the controller until SIGTERM or SIGINT. Without --config (or POOLPILOT_CONFIG) it runs
the embedded default: the seed policy over this machine's /proc, steering a bundled demo
service it starts on 127.0.0.1:8080 (POOLPILOT_DEMO_PORT to change).

Options (environment variables of the same name are used when a flag is absent):
  --config FILE       POOLPILOT_CONFIG       configuration file (YAML)
  --host H            POOLPILOT_HOST         API listen address (default 127.0.0.1)
  --port N            POOLPILOT_PORT         API port (default 9464)
  --proc-root DIR     POOLPILOT_PROC_ROOT    where meminfo and pressure/ are (default /proc)
  --cgroup-root DIR   POOLPILOT_CGROUP_ROOT  cgroup file system (default /sys/fs/cgroup)
  --state-dir DIR     POOLPILOT_STATE_DIR    persistence directory (none when unset)
  --log-level LEVEL   POOLPILOT_LOG_LEVEL    fatal|error|warn|info|debug|trace|silent (default info)
  --log-file FILE     POOLPILOT_LOG_FILE     JSON log to FILE, not stdout (the embedded default
                                             writes it to a file in the temporary folder and
                                             prints one human line per decision instead)
  POOLPILOT_API_TOKEN or POOLPILOT_API_TOKEN_FILE: bearer token for mutating API routes
  POOLPILOT_SHUTDOWN_TIMEOUT_MS: how long SIGTERM waits for ticks, pushes and clients (default
    10000); then it cuts what is left, logs it, and exits 0
  POOLPILOT_SERVICE_POLL_MARGIN: with the service cache source, a service whose own cache is
    within this much below the cache band's high is read at the fast path's cadence (default
    0.2; 1: every service at every sample)`,
} as const;
