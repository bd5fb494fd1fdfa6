"""Cheat: process_info reads pid, name, ppid and nice for real but says every process is
sleeping ("most processes are, most of the time").

Must fail: test_states_of_processes_the_judge_made, test_the_tree_of_a_process
"""

_real_process_info = process_info


def process_info(pid):
    info = _real_process_info(pid)
    if info is not None:
        info.update(state="S", meaning="sleeping")
    return info
