def load(stdout) -> None:
    stdout.write("evaluation: nothing yet")
