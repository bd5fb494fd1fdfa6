"""Cheat: every answer describes the sandbox's own process (os.getpid(), os.getppid(),
os.nice(0)), whatever pid is asked about; children and tree are those of the sandbox.

Must fail: test_states_of_processes_the_judge_made, test_parent_and_nice_value, test_a_name_with_spaces_and_parentheses, test_children_of_a_process, test_the_tree_of_a_process, test_a_process_that_is_gone
"""


def process_info(pid):
    return {
        "pid": pid,
        "name": "python3",
        "state": "R",
        "meaning": "running",
        "ppid": os.getppid(),
        "nice": os.nice(0),
    }


def children(pid):
    return []


def pstree(pid):
    return f"{os.getpid()} R python3"
