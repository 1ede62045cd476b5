"""Labels are rows of the server's store: two kernels of one real ``jupyter server`` see
each other's labels at once, and the labels are still there after the server restarts."""

from __future__ import annotations

import json

from test_kernels import RealServer, run_cell

ITEMS = "dataset_id,query,actual_output\n" + "".join(
    f"r{i},question {i},answer {i}\n" for i in range(1, 7))

LABELS = ("import json\n"
          "print(json.dumps(sorted((r.record_id, int(r.judgment), r.annotator) "
          "for r in ann.frame().itertuples())))")


def test_two_kernels_share_labels_and_they_survive_a_restart(tmp_path_factory):
    srv = RealServer(tmp_path_factory.mktemp("alignment_server"))
    try:
        annotator, store_path = _label_in_two_kernels(srv)
    finally:
        srv.stop()
    again = RealServer(tmp_path_factory.mktemp("alignment_server_again"), store_path=store_path)
    try:
        k3 = again.start_kernel()
        out = run_cell(k3, "import axis_jupyter\n"
                           "axis = axis_jupyter.connect()\n"
                           "ann = axis.annotations('items')\n" + LABELS + "\n"
                           "print(json.dumps(list(ann.history()['action'])))")
        labels, actions = out.strip().splitlines()
        assert json.loads(labels) == [["r1", 1, annotator], ["r2", 0, annotator], ["r4", 0, annotator]]
        assert json.loads(actions) == ["set", "set", "set", "undo", "set"]
    finally:
        again.stop()


def _label_in_two_kernels(srv) -> tuple[str, object]:
    (srv.root / "items.csv").write_text(ITEMS)
    k1, k2 = srv.start_kernel(), srv.start_kernel()
    out = run_cell(k1, "import axis_jupyter\n"
                       "axis = axis_jupyter.connect()\n"
                       "axis.load('items.csv', name='items')\n"
                       "ann = axis.annotations('items')\n"
                       "ann.set('r1', judgment=1, critique='fine')\n"
                       "ann.set('r2', judgment=0)\n"
                       "print(type(axis).__name__, ann.annotator)")
    kind, annotator = out.split()
    assert kind == "RemoteStore"
    out = run_cell(k2, "import axis_jupyter\n"
                       "axis = axis_jupyter.connect()\n"
                       "ann = axis.annotations('items')\n" + LABELS)
    assert json.loads(out) == [["r1", 1, annotator], ["r2", 0, annotator]]
    # the second kernel labels; the first sees it without reconnecting
    run_cell(k2, "ann.set('r3', judgment=1)\nann.undo()\nann.set('r4', judgment=0)")
    out = run_cell(k1, LABELS)
    assert json.loads(out) == [["r1", 1, annotator], ["r2", 0, annotator], ["r4", 0, annotator]]
    return annotator, srv.store_path
