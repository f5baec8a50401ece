"""Run folders: two runs started in the same second get their own folders."""


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from dlkit.runs import create_run_dir

    with ThreadPoolExecutor(8) as pool:
        folders = list(pool.map(lambda _: create_run_dir(tmp_path, "same"), range(16)))
    assert len(set(folders)) == 16
