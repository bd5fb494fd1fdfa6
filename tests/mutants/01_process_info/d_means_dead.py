"""The state table reads D as "dead" and T as "terminated": D is a sleep in the kernel that no
signal interrupts ("disk sleep"), T a stopped process ("stopped"), and the dead one is X.

Must fail: test_state_letters_mean_what_the_kernel_says, test_states_of_processes_the_judge_made
"""

STATE_MEANINGS = {**STATE_MEANINGS, "D": "dead", "T": "terminated"}
