"""Step Functions workflows: their ASL files, how they start, and the steps their tasks run.

- ``*.asl.json``: one Standard state machine each, described by ``resources.WORKFLOWS``; CDK and
  the local stack both build it from the file (``definitions``).
- ``executions``: start a workflow at most once per subject; ``cancellation.start`` for orders.
- ``steps``: the ``workflow_steps`` Lambda handler and the idempotent steps it dispatches to.
- ``alerts``: ops alerts a workflow opens when it gives up; ``messages``: its templates.

docs/workflows.md describes the workflows and how to add one.
"""
