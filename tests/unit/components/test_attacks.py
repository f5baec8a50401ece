"""The attacks' registry entries: PGD's header says its step is a fraction of eps."""

from __future__ import annotations


def test_pgd_header_says_its_step_is_a_fraction_of_eps():
    from dlkit.core.registries import ATTACKS

    assert ATTACKS.get("pgd")(steps=20).header() == "steps 20, step_size 0.125 x eps, random_start True"
    assert ATTACKS.get("fgsm")().header() == ""
