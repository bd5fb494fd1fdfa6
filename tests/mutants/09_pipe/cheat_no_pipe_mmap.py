"""Cheat: collect uses no pipe at all. The child pickles every item produce() yields into a
shared anonymous mmap; the parent joins the child, then unpickles what it finds there. The
stream arrives whole and in order, nothing is left behind - and there is no pipe end to
close, so nothing is ever judged about closing ends.

Must fail: test_each_process_closes_the_end_it_does_not_use
"""

import mmap
import pickle
import struct
from multiprocessing import Process

_SIZE = 64 << 20


def _produce_into(buf, produce):
    data = pickle.dumps(list(produce()))
    buf[:8] = struct.pack("Q", len(data))
    buf[8 : 8 + len(data)] = data


def collect(produce):
    buf = mmap.mmap(-1, _SIZE)
    child = Process(target=_produce_into, args=(buf, produce))
    child.start()
    child.join()
    (n,) = struct.unpack("Q", buf[:8])
    items = pickle.loads(buf[8 : 8 + n]) if n else []
    buf.close()
    return items
