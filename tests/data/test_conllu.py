"""CoNLL-U: words and tags in, predicted tags out with every other byte unchanged."""
import pytest

from rnnkit.data import document_from_tokens, read_conllu
from rnnkit.data.conllu import UPOS
from rnnkit.errors import DataError

DOC = """# newdoc id = x
# sent_id = 1
# text = I don't know.
1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
4.1\tsaid\tsay\tVERB\tVBD\t_\t_\t_\t4:conj\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = 2
1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_

"""


def test_words_skip_ranges_and_empty_nodes(tmp_path):
    path = tmp_path / "a.conllu"
    path.write_text(DOC)
    doc = read_conllu(path)
    assert [s.forms for s in doc.sentences] == [["I", "do", "n't", "know", "."], ["Yes"]]
    assert doc.sentences[0].upos == ["PRON", "AUX", "PART", "VERB", "PUNCT"]
    assert doc.sentences[0].xpos == ["PRP", "VBP", "RB", "VB", "."]


def test_writing_changes_only_the_upos_column(tmp_path):
    path = tmp_path / "a.conllu"
    path.write_text(DOC)
    doc = read_conllu(path)
    doc.set_tags(UPOS, [["X"] * 5, ["NOUN"]])
    before, after = DOC.split("\n"), doc.text().split("\n")
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert len(changed) == 6
    for b, a in changed:
        fb, fa = b.split("\t"), a.split("\t")
        assert fb[:3] == fa[:3] and fb[4:] == fa[4:] and fa[3] in ("X", "NOUN")
    unchanged = read_conllu(path)
    unchanged.set_tags(UPOS, [s.upos for s in unchanged.sentences])
    assert unchanged.text() == DOC


@pytest.mark.parametrize("text, message", [
    ("1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\n", r"a.conllu, line 1: expected 10 tab-separated columns, found 9"),
    ("# c\n1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n\n# only a comment\n\n",
     r"a.conllu, line 4: a sentence without words"),
    ("x\tI\tI\tPRON\tPRP\t_\t0\troot\t_\t_\n", r"a.conllu, line 1: bad word ID 'x'"),
    ("\n\n", r"a.conllu: is empty"),
])
def test_errors_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "a.conllu"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_conllu(path)


def test_document_from_tokens_is_complete_conllu(tmp_path):
    doc = document_from_tokens([["the", "cat"], ["meows"]])
    doc.set_tags(UPOS, [["DET", "NOUN"], ["VERB"]])
    path = tmp_path / "b.conllu"
    path.write_text(doc.text())
    again = read_conllu(path)
    assert [s.forms for s in again.sentences] == [["the", "cat"], ["meows"]]
    assert [s.upos for s in again.sentences] == [["DET", "NOUN"], ["VERB"]]
    assert all(len(line.split("\t")) == 10 for line in doc.lines if line and not line.startswith("#"))
