"""The collector during a batch: what was alive before it is set aside, then handed back."""

import gc

from summarizer.heap import older_objects_set_aside


def test_the_objects_alive_before_the_block_are_set_aside_until_it_ends():
    assert gc.get_freeze_count() == 0
    before = [[]]  # a container: the collector tracks it

    def collected() -> bool:
        return any(o is before for o in gc.get_objects())

    assert collected()
    with older_objects_set_aside():
        assert gc.get_freeze_count() > 0 and not collected()
    assert gc.get_freeze_count() == 0 and collected()


def test_a_freeze_the_program_made_itself_is_left_alone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with older_objects_set_aside():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
