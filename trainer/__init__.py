"""trainer: GRPO on the growing task bank, with pass rates flowing back into it.

Modules, in the order data flows: ``config`` (the run's settings), ``dataset`` (an endless stream of bank tasks),
``sampling`` (weights toward tasks the policy sometimes solves), ``reward`` (the verifier pool as a TRL reward
function), ``ledger`` (per-task tallies), ``stats`` (statistics and status changes back to the bank), ``plots``
(the training curves) and ``grpo`` (the command that wires them to TRL's GRPOTrainer). Self-distillation beside it:
``opsd_config`` (its settings, TRL's SDFTConfig passed through), ``opsd_data`` (bank rows with the privileged context
only the teacher sees), ``self_teacher`` (the pre-flight gap and the pass rates after training) and ``opsd`` (the
command that wires them to TRL's SDFTTrainer); ``command_line`` holds the flags both commands share. Imports only
``task_bank`` and ``verifier``, never ``synth``: the trainer and the generator meet only in the bank.
"""
