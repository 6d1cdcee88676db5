"""Sentence splitting: spans index into the text, abbreviations and initials do not end sentences."""

from hypothesis import given

from qa.text import sentence_spans, split_sentences
from tests.helpers import ANY_TEXT, PROFILE


def test_abbreviations_and_initials_do_not_split():
    text = 'Mr. Smith went to the U.S. on Monday. He said: "It is fine." Then J. Doe left! OK?'
    assert split_sentences(text) == [
        "Mr. Smith went to the U.S. on Monday.",
        'He said: "It is fine."',
        "Then J. Doe left!",
        "OK?",
    ]


def test_dotted_initialisms_do_not_split_a_name_or_an_agency():
    text = "Reagan passed the torch to George H.W. Bush. Then F.B.I. Director James Comey spoke at 10 p.m. Tuesday."
    assert split_sentences(text) == [
        "Reagan passed the torch to George H.W. Bush.",
        "Then F.B.I. Director James Comey spoke at 10 p.m. Tuesday.",
    ]
    assert split_sentences("Harry Potter author J.K. Rowling wrote it. It sold.") == [
        "Harry Potter author J.K. Rowling wrote it.",
        "It sold.",
    ]


def test_paragraph_breaks_end_sentences_and_spans_map_back():
    text = "  First line without a stop\n\nSecond paragraph. Third sentence here.  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["First line without a stop", "Second paragraph.", "Third sentence here."]
    assert all(not text[a].isspace() and not text[b - 1].isspace() for a, b in spans)


def test_lowercase_after_period_is_not_a_boundary():
    assert split_sentences("The rate was 3.5 per cent. in 2017 it fell.") == [
        "The rate was 3.5 per cent. in 2017 it fell."
    ]


def test_quoted_speech_stays_with_its_speaker():
    text = "Ozerov told Interfax, “We are here to fight terrorism. That is not our mandate,” he said. Next one."
    assert split_sentences(text) == [
        "Ozerov told Interfax, “We are here to fight terrorism. That is not our mandate,” he said.",
        "Next one.",
    ]


def test_straight_quoted_speech_stays_with_its_speaker_too():
    text = '"It was a disaster. Nobody came," said Smith. The vote was 52-48. "It is over." Smith left.'
    assert split_sentences(text) == [
        '"It was a disaster. Nobody came," said Smith.',
        "The vote was 52-48.",
        '"It is over."',
        "Smith left.",
    ]


def test_a_named_speaker_after_a_quotation_stays_with_it():
    text = "“They’d be a co-author!” Kathy Rothman said. “Automatically.” The vote was 52-48."
    assert split_sentences(text) == [
        "“They’d be a co-author!” Kathy Rothman said.",
        "“Automatically.”",
        "The vote was 52-48.",
    ]
    assert split_sentences('"Why now?" Smith asked the board. "It is over." Smith left.') == [
        '"Why now?" Smith asked the board.',
        '"It is over."',
        "Smith left.",
    ]


def test_an_unclosed_quote_does_not_swallow_the_paragraph():
    for quote in ("“", '"'):
        text = f"He said {quote}this starts a quote. " + "Another sentence follows here. " * 40
        assert len(split_sentences(text)) > 10


@PROFILE
@given(ANY_TEXT)
def test_sentence_spans_are_ordered_trimmed_and_inside_the_text(text):
    spans = sentence_spans(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        previous_end = end
    covered = "".join(text[a:b] for a, b in spans)
    assert "".join(covered.split()) == "".join(text.split())  # no non-space character lost
