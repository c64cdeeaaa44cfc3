"""Sandboxes for running generated verifier code, which is treated as hostile.

Backends (``verifier.sandbox.registry.default_registry``): ``bwrap`` (default on Linux), ``docker``, and
``unsafe-local`` (no isolation; it warns every time). All run the same zygote program (the standard-library package
``zygote/``, shipped as source by ``program.py``): started once per worker, it first forks a fork server (the clean
image every run starts from), then for each group of responses has it start a verifier process, which reads its
request from a pipe, loads the verifier once and calls ``verify`` on each response; the zygote, a different
process, judges each result. A verifier runs response code through ``envsynth_sandbox.run_response`` (module
``zygote/envsynth_sandbox.py``, documented in ``docs/SPEC.md``, "Running response code"): the fork server starts a
response process of its own for it. Modules: ``base`` (the Backend/Worker interface), ``registry``, ``bwrap``,
``docker_backend``, ``local``, ``process_worker`` (host side of a zygote process), ``file_image``,
``image_sources`` and ``image_leases`` (the files a sandbox sees, what they are copied from, and their removal),
``channel`` (host<->zygote JSON lines), ``cgroup``, ``cpu_pinning``, ``seccomp`` and ``task_filter`` (the worker's
and task code's syscall filters), ``program``, ``zygote/`` (runs inside).

Enforced by the ``bwrap`` backend (each has a test named after it in ``tests/verifier/test_sandbox_*.py``):

- processes and threads: cgroup v1 ``pids.max`` per worker, plus RLIMIT_NPROC under a dedicated unprivileged uid
  (a fork bomb or thread bomb stops at the limit; the machine is unaffected)
- memory: RLIMIT_AS per run, plus cgroup v1 ``memory.limit_in_bytes`` per worker (children are the OOM victims)
- CPU share: a CFS quota of one core per worker (cgroup v1 ``cpu``, where writable), so a run that spins up many
  busy processes slows only its own worker, not other tasks' calls; and while a worker scores a group, a cgroup
  ``cpuset`` holds it to one CPU, the one the fewest busy workers of the host hold, ties drawn at random
  (``cpu_pinning.py``: a speed-up, hand-overs between a worker's processes stay on one core; the CPU a verifier
  reads is uniform in validation and training, and busy workers never stack on one CPU while another idles)
- wall time per verify call (and for loading the verifier): SIGKILL from the zygote; the host kills the whole
  worker from outside if the zygote itself stops answering
- CPU time: the wall timer per call and the CFS quota; RLIMIT_CPU is a constant cap per verifier process
  (``2 * cpu_s + 1`` s, SIGXCPU -> ``timeout``), the same in every group of every size, in validation and in
  training: a limit that grew with the group told a verifier which one it was in. A process that could not
  fit another call's ``cpu_s`` under it hands the rest of its group to a fresh one
- file size (RLIMIT_FSIZE), scratch space (size-capped tmpfs), stdout+stderr size (capped reader; run killed
  past ``output_kb``)
- no network: a private network namespace (only its own loopback; host loopback services are unreachable), and
  no internet socket at all (``socket`` of any family but ``AF_UNIX`` answers EAFNOSUPPORT), so the loopback of a
  long-lived worker never carries a packet from one group to the next
- filesystem: no file of the host at all. The interpreter, its standard library, the shared objects they load and
  the allow-listed verifier libraries (``verifier/libraries.py``) are copies in shared memory, built once per host
  (``file_image.py``), bound read-only in place of ``/usr``; a tmpfs file keeps every page in memory, so the host's
  page cache is no channel (``test_sandbox_page_cache.py``). Nothing else is mounted (no ``/etc``, ``/home``, no
  ``/bin/sh``); the only writable place is the private tmpfs scratch, which ``/tmp`` points to, and
  ``HOME`` and ``TMPDIR`` are each run's fresh working directory in it (a verifier that writes to ``/tmp`` works)
- environment: bwrap is started with an empty environment; nothing of the host's is visible, ``/proc/1/environ``
  included; the host name is ``sandbox``, not the host's
- syscalls: a seccomp deny list (``seccomp.py``, x86_64) on the whole sandbox: no new namespaces (a pid and a
  mount namespace and ``mount`` pass it, for the fork server; without CAP_SYS_ADMIN, which no process running task
  code keeps, the kernel refuses them), no ptrace or ``process_vm_*``, no kernel keyrings or POSIX message queues
  (state that would outlive a run), no changing another process's limits or scheduling (``prlimit64``,
  ``setpriority``, ``sched_set*``, ``ioprio_set`` only on the caller itself: children share the zygote's uid), no
  mount API beyond ``mount``, ``bpf``, ``perf_event_open``,
  ``userfaultfd``, ``io_uring``, module loading, ``kexec``, x32 syscalls. Reviewed and denied too:
  ``memfd_create``/``memfd_secret`` (memory outside RLIMIT_AS that filled the worker's cgroup), ``modify_ldt``,
  ``personality`` other than the query, ``landlock_*``; what reports the host whatever the namespace
  (``sysinfo``, ``statfs``/``fstatfs``/``ustat``: ENOSYS) and memory locking (``mlock*``, ``MAP_LOCKED``); every
  ``madvise`` advice but those a program gives its own memory (``MADV_COLLAPSE`` made a lasting huge-page bit in
  the shared file image); and, over every process that runs task code only (stacked once by the templates they are cloned from), a second filter refusing pidfds
  (their inode numbers count the host's processes), ``io_setup``, ``bind``, ``execve`` (a program started without
  the clock shim), kernel timestamps on sockets and ``adjtimex`` (``task_filter.task_filter_program``); and the
  channels between concurrent workers through
  the host files all of them mount: exclusive ``flock`` (shared locks never conflict), ``inotify``/``fanotify``,
  ``fcntl`` record locks (``F_GETLK``/``F_SETLK``/``F_SETLKW``, ``F_OFD_*``; so ``fcntl.lockf`` and sqlite on
  a file fail) and ``F_NOTIFY``
- fork commands: a verifier's command to the fork server carries no descriptor; the server makes a response's
  pipes and hands the verifier its ends only. Descriptors a verifier sends anyway (a TCP socket with
  ``SO_LINGER``, whose close would block) and finished channels are closed by a disposer process
  (``zygote/disposer.py``), never by the server. It watches the verifier process (a pidfd): when that ends, so does
  every response it started (swept before the next verifier starts), and its channel closes with any queued
  command. No response outlives its verifier's group
- what a verifier process holds: its header (source, limits, run environment) and the one response it scores now;
  the zygote hands over the next only after a report on the current one, so neither the stack nor the heap holds
  the group's size or a later response
- process ids and counts: each verifier process and each response process is pid 1 of a pid namespace of its own
  with no ``/proc`` (an empty read-only tmpfs covers it: ``smaps`` counted the processes mapping a page of the
  file image, host-wide, and ``loadavg``/``stat`` count the host's threads and forks), no ``/dev/pts`` (covered
  alike: its ``ptmx`` node dated the worker) and a fresh scratch tmpfs
  (privileged bwrap, x86_64; ``zygote/confine.py``): every pid it reads and the inode numbers of its files are
  the same on a long-lived worker as on a fresh one; the directories bwrap made at start are touched before every
  verifier starts and ``statx`` (birth times) answers ENOSYS, so no file time dates the worker
- identity: a dedicated unprivileged uid per worker, no capabilities for task code (only the fork server keeps
  CAP_SETUID/SETGID/KILL/SYS_ADMIN, as uid 0, and runs nothing it is sent), ``no_new_privs``; the zygote is
  non-dumpable (no ``/proc/<pid>/mem`` or ptrace from its children) and pid 1 of its own pid namespace (its
  children cannot signal it, nor see or signal any host process); the zygote's program reaches it through a
  memfd as its stdin, so ``/proc/1/cmdline`` (and every verifier's ``sys.argv``) shows only a short loader, the
  same on every host, and the host's pipes move to fixed descriptor numbers before anything else runs
- the response never runs in the verifier's process: ``run_response`` runs it in a process forked from the fork
  server, under a second uid (uid + 1: it cannot signal, trace or read the verifier or the verifier's files, which
  a umask of 077 keeps private), its own rlimits, the same seccomp filter and a fresh working directory, and hands
  back plain JSON values only; so frame walking, ``__eq__``-always-true objects, patched builtins and
  ``SystemExit`` cannot touch the verdict or a sibling's. At its deadline, when it ends, or when the verifier dies,
  every process of the response uid is killed at once (``kill(-1)`` as that uid), what it left in scratch is
  wiped and its SysV IPC objects are removed before the verifier hears the status
- no data of one task in another's reach: verifier and response processes are forked from the fork server, which
  was forked before the zygote read any request and never holds one (each reads its own request from a pipe after
  the fork), so no earlier group's source, responses or results are in their memory
- no state between runs: each child gets a fresh scratch directory; after it, every leftover process of the
  verifier uid is killed (``kill(-1)``: daemons, double forks, fork bombs), SysV IPC objects are removed and the
  scratch space is wiped depth-first without recursion or long paths (a 3,000-deep tree goes like a flat one)
- validation cannot be told from training: run 0 of validation is the training environment (a hash seed drawn
  for each worker, the global ``random`` seeded from the operating system in each verifier process, real clocks and
  pids, nothing patched), so no seed is a constant a verifier could test for; later runs shift the calendar clock,
  file times and (when the shift is ahead) the monotonic clocks in the C library, beneath Python, with absolute
  waits unshifted (the clock shim, ``clock_shim``: ``time``, ``datetime``, SQLite's ``now``, ``os.stat``,
  ``time.monotonic``; nothing in Python is patched in any run), and, where a verifier is not pid 1 of a namespace of its own (without root),
  every pid (``os.getpid``/``getppid``/``getpgrp``/``getpgid``/``getsid``), so a verifier keyed on them changes
  its score; under root its pids are 1 in every run and group, tell nothing, and are left alone (shifting them
  only showed a varied run through ``logging``'s ``record.process``, round 34)
- results: only a well-formed JSON frame carrying the child's random nonce and the expected index counts; stdout,
  stderr, exit codes and frames written to other descriptors are ignored; NaN, infinities, non-floats and
  out-of-range scores are ``invalid``; ``sys.exit``/``os._exit``/signals inside ``verify`` are ``crashed``
- the trusted side survives any bytes: frames and replies are parsed without recursion (nesting measured first,
  in time linear in the line: 60,000 ``[`` are ignored, lines of ``"\\`` pairs cost no more than others; a line
  without the nonce is never parsed), integers past 40 digits are never converted (a 4,000-digit score is
  ``invalid``), and lone surrogates and invalid UTF-8 in details are escaped or replaced before they leave the
  sandbox layer
- a worker that dies is replaced; closing the pool leaves no process behind; a host killed outright leaves a
  worker that exits on its own (the zygote's lifeline is the host's request pipe), and a sandbox orphaned
  mid-start (bwrap's launcher dying before it releases its child) was born in its cgroup and is ended by the
  next pool that starts on the machine

Not enforced (known limits):

- by default the responses of one group share one verifier process (the measured fast path): a verifier that
  executes response code *itself* (``exec``, not ``run_response``) lets it change state (monkeypatch the
  verifier, globals, scratch files) seen by later responses of the group, and forge the group's results (the
  per-run nonce is in that process's memory). The validator rejects such verifiers (``executes_response``) unless
  explicitly allowed; ``Limits(isolate_responses=True)`` forks per response, at about 8x the cost: the fork holds
  none of the group's pipes, and everything it left (processes, commands queued for the fork server, the scratch
  space, flags and offsets of shared descriptions, IPC objects) is ended or put back as the verifier had it after
  loading before the next response (``zygote/isolation.py``, ``zygote/load_state.py``); data left in a pipe or
  socket the verifier opened while loading stays. Groups never share state. Without root
  (no pid namespace per verifier process), a daemon of an isolated response that starts its own session lives
  until the group ends, though it holds none of the group's pipes
- a response run by ``run_response`` controls its own reported values (it could as well have returned them), and
  its stdout; it cannot see the verifier's expected values unless the verifier passes them as arguments
- clocks read around the C library (system calls made directly, ``/proc/uptime``) are not shifted in validation's
  varied runs, nor absolute ``timerfd``/POSIX timers; without a C compiler (no clock shim) neither is any clock read
  in C; host-wide growing counters (``/proc/stat`` ``processes``, pipe and socket inode
  numbers) are clocks too; without root (no namespaces per process) the worker's real pids, its scratch inode
  numbers and the times of the directories bwrap made at start are readable
- a verifier process knows how many calls it has made and the earlier responses it scored (only a process per
  response, ``isolate_responses``, forgets them); a verifier that forges its own frames (the nonce is in its
  memory) can pull the later responses of its group one by one, but only by committing a result for each first
- without uids (unprivileged bwrap, ``unsafe-local``, ``docker``) responses share the verifier's uid: they can
  signal it (killing or stopping their own run) and read its files; the response's session is killed and its
  working directory wiped, but a daemon that starts a new session, or a file written elsewhere in scratch,
  lives until the group ends
- the seccomp filter is a deny list, not an allow list: every syscall not listed is reachable (kernel bugs in
  them are not contained); on non-x86_64 machines there is no filter at all
- one call may use more CPU than ``cpu_s`` (up to its wall time, or the process cap) when earlier calls of its
  process used little; a multi-threaded burner is stopped by the wall-time limit and the CPU quota
- the zygote shares its sandbox and uid with the code it judges; it is protected by being non-dumpable and pid 1
  of the namespace, not by a uid of its own (a child can still exhaust the worker's shared pids/memory budget,
  which then fails the group as ``crashed``/``timeout``)
- information about the host is readable: kernel version (``uname``), the CPU count, the interpreter and its
  libraries (and, without a private namespace, all of ``/proc``); timing side channels other than the page cache
  are not addressed. On a host with swap, global
  memory pressure could swap a page of the file image out
- per-worker uids are drawn at random from 60,000; two workers that draw the same one share an RLIMIT_NPROC count
  (their cgroups still keep them apart)
- without root (no cgroup v1): processes are bounded by RLIMIT_NPROC only, memory by RLIMIT_AS only, and bwrap
  runs in a user namespace; that path is not exercised by the tests here (they run as root)
- ``unsafe-local``: none of the isolation above (host files, network and environment are reachable); rlimits,
  timeouts, output caps, the result check and (where ``unshare`` works) a private pid namespace still apply.
  Never point hostile code at it: the adversarial suite runs on bwrap only
- ``docker``: same zygote, container limits instead of cgroups set by us; not exercised where no engine answers.
  A container cannot be handed a descriptor, so its zygote's program still travels in ``argv`` (readable from
  ``/proc/1/cmdline`` inside the container)
"""
