"""`--server ID`: the CLI adds to, asks, summarises and removes from one Discord server's articles."""

import json

from tests.bot.test_cli import run_cli
from tests.retrieval.sources.test_index_sources import HARBOUR, QUESTION


def test_one_servers_article_is_asked_and_removed_there_only(capsys, config_file, tmp_path):
    config = str(config_file)
    extra = tmp_path / "harbour.txt"
    extra.write_text("Harbour reopens after storm repairs\nSource: Coast News\n\n" + "\n\n".join(HARBOUR),
                     encoding="utf-8")
    code, out, _ = run_cli(capsys, "--config", config, "add", "--server", "111", str(extra))
    assert code == 0 and "added Harbour reopens after storm repairs" in out

    def found(*server: str) -> bool:
        _, out, _ = run_cli(capsys, "--config", config, "ask", QUESTION, "--json", *server)
        answer = json.loads(out)
        return answer["found"] and "Saint Brendan" in answer["quotes"][0]["text"]

    assert found("--server", "111") and not found("--server", "222") and found()  # no --server: the whole folder
    code, _, err = run_cli(capsys, "--config", config, "remove", "--server", "222", "Harbour reopens after storm "
                           "repairs")
    assert code == 1 and "no indexed article matches" in err
    code, _, err = run_cli(capsys, "--config", config, "remove", "--server", "222", "geology")
    assert code == 1 and "operator" in err  # a shared config article: not a server's to remove
    code, out, _ = run_cli(capsys, "--config", config, "remove", "--server", "111", "Harbour reopens after storm "
                           "repairs")
    assert code == 0 and "removed Harbour" in out
    assert not found("--server", "111") and not found()
