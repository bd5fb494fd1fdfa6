from grader.cli import main_entry

main_entry()
