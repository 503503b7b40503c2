"""Registry of subcommands beyond ingest; each feature adds its `add_*` function here."""

REGISTER: list = []


def _add_serve(commands) -> None:
    from ui.serve import add_serve

    add_serve(commands)


REGISTER.append(_add_serve)


def _add_eval(commands) -> None:
    from evals.cli import add_eval_command

    add_eval_command(commands)


REGISTER.append(_add_eval)


def _add_ask(commands) -> None:
    from ui.ask_cli import add_ask

    add_ask(commands)


REGISTER.insert(0, _add_ask)


def _add_bench(commands) -> None:
    from evals.bench import add_bench

    add_bench(commands)


REGISTER.append(_add_bench)


def _add_feedback(commands) -> None:
    from ui.feedback import add_feedback_command

    add_feedback_command(commands)


REGISTER.append(_add_feedback)


def _add_fit_answerability(commands) -> None:
    from evals.fit import add_fit_command

    add_fit_command(commands)


REGISTER.append(_add_fit_answerability)


def _add_compare(commands) -> None:
    from ui.compare_cli import add_compare

    add_compare(commands)


REGISTER.append(_add_compare)


def _add_quiz(commands) -> None:
    from ui.quiz_cli import add_quiz

    add_quiz(commands)


REGISTER.append(_add_quiz)


def _add_fit_scorer(commands) -> None:
    from evals.fit_scorer import add_fit_scorer_command

    add_fit_scorer_command(commands)


REGISTER.append(_add_fit_scorer)
