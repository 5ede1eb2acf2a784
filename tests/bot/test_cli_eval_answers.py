"""``citebot eval answers`` on a slice of newsqa-dev: its per-question outcome is what ``citebot ask --json`` gives."""

import json

from bot import cli
from retrieval.evaluation.answers import holds_answer
from tests.conftest import SHARED

NEWSQA = SHARED / "eval" / "newsqa-dev" / "questions.jsonl"
PAGES = SHARED / "eval" / "extraction" / "pages"
SLICE = ("5a822960e9", "d90bda7ed1")  # two short pages: single questions, a follow-up each, a near-miss each


def write_config(path, data_dir) -> None:
    path.write_text(f'[data]\ndir = {json.dumps(str(data_dir))}\n\n[model]\nquery_runtime = "torch"\n',
                    encoding="utf-8")


def slice_questions(tmp_path):
    rows = [json.loads(line) for line in NEWSQA.read_text(encoding="utf-8").splitlines()]
    keep = [r for r in rows if (r.get("page_id") or r.get("near_page_id") or "")[:10] in SLICE]
    keep.append(next(r for r in rows if r["kind"] == "absent" and not r.get("near_page_id")))
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    return path, keep


def test_eval_answers_equals_ask_json_question_by_question(tmp_path, capsys):
    questions, rows = slice_questions(tmp_path)
    eval_config, data = tmp_path / "eval.toml", tmp_path / "scratch"
    write_config(eval_config, tmp_path / "cache")
    details = tmp_path / "details.jsonl"
    code = cli.main(["--config", str(eval_config), "eval", "answers", "--pages", str(PAGES), "--questions",
                     str(questions), "--data", str(data), "--details", str(details), "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    figures = json.loads(out)
    assert figures["questions"] == len(rows) and figures["pages"] == 2
    assert set(figures["by_kind"]) == {"single", "followup", "absent"}

    ask_config = tmp_path / "ask.toml"
    write_config(ask_config, data)
    scored = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    assert [s["qid"] for s in scored] == [r["qid"] for r in rows]
    right = {"single": 0, "followup": 0, "absent": 0}
    for row, detail in zip(rows, scored, strict=True):
        args = ["--config", str(ask_config), "ask", row["question"], "--json"]
        for earlier in row["history"]:
            args += ["--history", earlier]
        assert cli.main(args) == 0
        answer = json.loads(capsys.readouterr()[0])
        assert answer["found"] == detail["found"], row["qid"]
        assert [(q["article_id"], q["paragraph"]) for q in answer["quotes"][:3]] == \
               [(q["article_id"], q["paragraph"]) for q in detail["quotes"]], row["qid"]
        if row["kind"] == "absent":
            first = not answer["found"]
        else:
            quote = answer["quotes"][0]
            first = quote["article_id"] == row["page_id"] and holds_answer(quote["text"], row["answers"])
        assert first == detail["right@1"], row["qid"]
        right[row["kind"]] += first
    counts = {kind: sum(r["kind"] == kind for r in rows) for kind in right}
    for kind in right:
        assert figures["by_kind"][kind]["right@1"] == round(right[kind] / counts[kind], 4)
