"""The zygote program that runs inside every sandbox worker (standard library only, no other envsynth import).

The host never imports this package to run it: ``verifier.sandbox.program`` ships its modules' source text into the
sandbox and starts ``supervisor.main`` there. Modules: ``supervisor`` (serve requests, drive verifier processes,
enforce wall time and output caps), ``forkserver`` (forks every verifier and response process, and is the responses'
watchdog), ``fork_protocol`` (its commands and replies), ``clean_image`` (the image it forks them from, built and
frozen once), ``template`` (the processes that clone them from that image and never serve), ``channels`` (the
channels it serves each verifier process), ``disposer`` (closes what verifiers hand the fork server), ``run`` (one verifier process seen from the zygote), ``child`` (the verifier
process itself), ``response`` (a response process), ``envsynth_sandbox`` (what a verifier imports to run response
code), ``environment`` (pinned or shifted clocks, pids, RNG), ``frames`` (the child's reports and the judging of
scores), ``plainjson`` (bounded JSON for untrusted bytes), ``response_results`` and ``foreseen`` (what
run_response hands a verifier, and the runs the text alone decides), ``cleanup`` (after each run).
"""
