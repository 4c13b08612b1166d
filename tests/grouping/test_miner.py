"""Template mining: masking, merging, stable ids and the `templates` output contract."""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultlens.grouping.miner import TemplateMiner
from faultlens.grouping.miner_cli import write_templates
from faultlens.grouping.tokens import Skeletonizer, mask_token, skeleton


class TestMaskToken:
    @pytest.mark.parametrize(
        ("token", "masked"),
        [
            ("42", "<*>"),
            ("-17", "<*>"),
            ("0x7f3a", "<*>"),
            ("3.14", "<*>"),
            ("10ms", "<*>"),
            ("10.0.0.1:8080", "<*>:<*>"),
            ("/10.0.0.1:8080", "<*>:<*>"),
            ("uid=0", "uid=<*>"),
            ("(uid=0)", "(uid=<*>)"),
            ("[10.1.2.3]", "[<*>]"),
            ("node-129", "node-<*>"),
            ("blk_-6952295868487656571", "<*>"),
            ("attempt_1445144423722_0020_m_000000_0", "<*>"),
            ("core.1234", "core.<*>"),
            ("/var/log/app.log", "<*>"),
            ("'/udev/vcs2'", "'<*>'"),
            ("hdfs://10.10.34.11:9000/logs/x.log", "hdfs://<*>"),
            ("BP-1347369012-10.190.173.170-1444972147527:blk_1073743512_2731", "BP-<*>:<*>"),
            ("msra-sa-41:9000", "<*>:<*>"),
            ("00:11:43:e3:ba:c3", "<*>"),
            ("enabled:true", "enabled:<*>"),
            ("null", "<*>"),
            ("port", "port"),
            ("logname=", "logname="),
        ],
    )
    def test_values_become_variables(self, token: str, masked: str) -> None:
        """Numbers, ids, addresses and paths become `<*>`, and the punctuation around them stays."""
        assert mask_token(token) == masked

    @pytest.mark.parametrize(
        "token", ["ssh2", "eth0", "jk2_init()", "Slf4jLogger", "HttpServer2$Filter", "power/control"]
    )
    def test_names_with_short_numbers_stay_words(self, token: str) -> None:
        """A name with a short number glued on is part of the statement, not a value."""
        assert mask_token(token) == token

    def test_date_words_are_variables(self) -> None:
        """Weekday and month names are parts of a timestamp."""
        assert skeleton("at Fri Jun 17 07:07:00 2005") == ("at", "<*>", "<*>:<*>:<*>", "<*>")


class TestSkeletonizer:
    def test_masked_token_cache_stays_bounded(self) -> None:
        """The cache of masked tokens is cleared at its limit, so memory does not grow with input."""
        skeletonize = Skeletonizer(limit=8)
        for n in range(100):
            skeletonize(f"worker-{n}x host{n}a started")
        assert len(skeletonize._masked) <= 8

    def test_byte_units_join_their_number(self) -> None:
        """A formatter picks the unit at run time, so `5.2 KB` and `93.0 B` fill the same slot."""
        assert Skeletonizer()("size 5.2 KB, free 93.0 B)") == ("size", "<*>,", "free", "<*>)")


class TestMerging:
    def test_messages_differing_in_numbers_share_a_template(self) -> None:
        """Only the digits differ, so both messages get one id and a `<*>` where the numbers were."""
        miner = TemplateMiner()
        first = miner.add("Failed password for root from 10.0.0.1 port 4242 ssh2")
        second = miner.add("Failed password for root from 192.168.1.20 port 51 ssh2")
        assert first.id == second.id
        assert second.template == "Failed password for root from <*> port <*> ssh2"

    def test_lists_of_any_length_share_a_template(self) -> None:
        """A run of values folds into one slot, so a list's length does not split the template."""
        miner = TemplateMiner()
        one = miner.add("ask 10.0.0.1:50010 to delete blk_-5140072410813878235")
        many = miner.add("ask 10.0.0.2:50010 to delete blk_4029139044660806713 blk_-5471189807977 blk_67086430678")
        assert one.id == many.id
        assert many.template == "ask <*>:<*> to delete <*>"

    def test_fixed_alternatives_stay_apart(self) -> None:
        """Two or three words seen at one position are alternatives of the statement, not a variable."""
        miner = TemplateMiner()
        running = miner.add("task_11 Transitioned from NEW to RUNNING")
        failed = miner.add("task_12 Transitioned from NEW to FAILED")
        assert running.id != failed.id
        assert failed.template == "<*> Transitioned from NEW to FAILED"

    def test_two_free_words_make_variables_once_many_templates_gather(self) -> None:
        """Two word variables in one message merge after enough distinct combinations."""
        miner = TemplateMiner()
        users = ["ann", "ben", "cid", "dan", "eve", "fay", "gus", "hal", "ida", "jon", "kim", "lou"]
        hosts = ["alpha", "bravo", "delta", "echo", "golf", "hotel", "india", "kilo", "lima", "mike", "oscar"]
        ids = {miner.add(f"session for user {u} opened from host {h} by sshd").id for u in users for h in hosts}
        assert len({miner.canonical_id(found) for found in ids}) == 1
        assert miner.match("session for user zed opened from host zulu by sshd").template == (  # type: ignore[union-attr]
            "session for user <*> opened from host <*> by sshd"
        )

    def test_many_distinct_words_make_a_variable(self) -> None:
        """Once a position shows several distinct words, its templates merge under the oldest id."""
        miner = TemplateMiner()
        first = miner.add("Invalid user alice from 10.0.0.1")
        for name in ("bob", "carol", "dave", "erin"):
            last = miner.add(f"Invalid user {name} from 10.0.0.2")
        assert last.id == first.id
        assert last.template == "Invalid user <*> from <*>"
        assert miner.match("Invalid user zed from 10.9.9.9") == last

    def test_a_value_where_a_word_was_generalizes_at_once(self) -> None:
        """A number seen where a word stood shows the position is a variable."""
        miner = TemplateMiner()
        word = miner.add("Failed none for invalid user admin from 10.0.0.1")
        number = miner.add("Failed none for invalid user 0 from 10.0.0.1")
        assert word.id == number.id
        assert number.template == "Failed none for invalid user <*> from <*>"

    @pytest.mark.parametrize("empty_first", [True, False])
    def test_an_empty_value_joins_the_template_in_either_order(self, empty_first: bool) -> None:
        """`()` and `(host)` hold the same slot, whichever arrives first."""
        miner = TemplateMiner()
        lines = [
            "connection from 10.0.0.1 () at Fri Jun 17 07:07:00 2005",
            "connection from 10.0.0.2 (mail.example.org) at Fri Jun 17 07:07:02 2005",
            "connection from 10.0.0.3 (24-54-76-216.example.net) at Sat Jun 18 01:00:00 2005",
        ]
        ids = [miner.add(line).id for line in (lines if empty_first else lines[::-1])]
        assert len({miner.canonical_id(found) for found in ids}) == 1
        assert miner.match(lines[0]).template == "connection from <*> (<*>) at <*>:<*>:<*>"  # type: ignore[union-attr]

    def test_extra_words_in_a_token_are_no_value(self) -> None:
        """A word glued before a shared key (`LOGIN(uid=0)`) marks another statement, not a value."""
        miner = TemplateMiner()
        plain = miner.add("session opened for user root by (uid=0)")
        login = miner.add("session opened for user root by LOGIN(uid=0)")
        assert plain.id != login.id

    def test_short_statements_keep_their_first_word(self) -> None:
        """Short messages that start with different words are different statements."""
        miner = TemplateMiner()
        ids = {miner.add(f"{verb} (command {n})").id for n, verb in enumerate(["boot", "wait", "halt", "run", "stop"])}
        assert len(ids) == 5

    def test_a_first_word_before_long_fixed_text_can_be_a_variable(self) -> None:
        """Many programs leading one long statement make the first word a variable."""
        miner = TemplateMiner()
        programs = ("chrome.exe", "firefox.exe", "Dropbox.exe", "skype.exe", "outlook.exe")
        ids = {miner.add(f"{p} - proxy.example.org:5070 close, 42 bytes sent, 7 bytes received").id for p in programs}
        assert len({miner.canonical_id(found) for found in ids}) == 1
        assert miner.match("git.exe - proxy.example.org:5070 close, 1 bytes sent, 2 bytes received") is not None

    def test_words_proven_after_a_key_merge_a_small_family(self) -> None:
        """Users proven variable after `user` in one statement make three users enough in another."""
        miner = TemplateMiner()
        users = ("cyrus", "news", "test")
        opened = [miner.add(f"session opened for user {user} by (uid=0)").id for user in users]
        assert len(set(opened)) == 3
        for user in (*users, "root"):
            miner.add(f"session closed for user {user}")
        assert {miner.canonical_id(found) for found in opened} == {opened[0]}

    def test_few_values_under_one_key_stay_apart(self) -> None:
        """Three alternatives after a key are fixed text until more appear or prove themselves."""
        miner = TemplateMiner()
        ids = {
            miner.add(f"authentication failure; rhost=10.0.0.1 user={user}").id for user in ("root", "guest", "test")
        }
        assert len(ids) == 3

    def test_merged_ids_resolve_to_the_survivor(self) -> None:
        """Ids of templates absorbed by a merge stay resolvable to the template that absorbed them."""
        miner = TemplateMiner()
        ids = [miner.add(f"session closed for user {name}").id for name in ("ann", "ben", "cid", "dan")]
        assert {miner.canonical_id(found) for found in ids} == {ids[0]}

    def test_match_does_not_learn(self) -> None:
        """Looking a message up neither creates nor changes a template."""
        miner = TemplateMiner()
        assert miner.match("disk full on /dev/sda1") is None
        assert miner.templates() == []
        learned = miner.add("disk full on /dev/sda1")
        assert miner.match("disk full on /dev/sdb2") == learned


MESSAGES = [
    "Receiving block blk_5792489080791696128 src: /10.251.30.6:33145 dest: /10.251.30.6:50010",
    "PacketResponder 1 for block blk_38865049064139660 terminating",
    "Invalid user webmaster from 173.234.31.186",
    "Invalid user chen from 202.100.179.208",
    "Invalid user pgadmin from 112.95.230.3",
    "Invalid user test from 52.80.34.196",
    "session opened for user cyrus by (uid=0)",
    "PacketResponder 2 for block blk_-6670958622368987959 terminating",
    "jk2_init() Found child 6725 in scoreboard slot 10",
    "mod_jk child workerEnv in error state 6",
]


class TestDeterminism:
    def test_same_input_same_ids_across_runs(self) -> None:
        """Ids are content hashes, so two fresh miners agree on every id."""
        first = [TemplateMiner().add(m).id for m in MESSAGES]
        second = [TemplateMiner().add(m).id for m in MESSAGES]
        assert first == second
        miner_a, miner_b = TemplateMiner(), TemplateMiner()
        assert [miner_a.add(m).id for m in MESSAGES] == [miner_b.add(m).id for m in MESSAGES]

    @given(st.integers(min_value=0, max_value=len(MESSAGES)))
    def test_splitting_the_input_does_not_change_ids(self, split: int) -> None:
        """Feeding the stream in two parts gives the output of feeding it at once."""
        whole = io.StringIO()
        write_templates(MESSAGES, whole)
        miner = TemplateMiner()
        ids = [miner.add(m).id for m in MESSAGES[:split]] + [miner.add(m).id for m in MESSAGES[split:]]
        final = [miner.canonical_id(found) for found in ids]
        assert final == [line.split("\t")[0] for line in whole.getvalue().splitlines()]

    @settings(max_examples=60)
    @given(st.permutations(range(len(MESSAGES))), st.randoms(use_true_random=False))
    def test_reordering_unrelated_lines_keeps_groups(self, order: list[int], rnd: random.Random) -> None:
        """Interleaving other statements differently does not change which lines group together."""
        users = [i for i, m in enumerate(MESSAGES) if m.startswith("Invalid user")]
        others = [i for i in order if i not in users]
        baseline = _groups([MESSAGES[i] for i in users + others], users + others)
        shuffled = list(others)
        slots = sorted(rnd.sample(range(len(others) + len(users)), len(users)))
        for position, index in zip(slots, users, strict=True):
            shuffled.insert(position, index)
        assert _groups([MESSAGES[i] for i in shuffled], shuffled) == baseline


def _groups(messages: list[str], indexes: list[int]) -> set[frozenset[int]]:
    out = io.StringIO()
    write_templates(messages, out)
    by_id: dict[str, set[int]] = {}
    for index, line in zip(indexes, out.getvalue().splitlines(), strict=True):
        by_id.setdefault(line.split("\t")[0], set()).add(index)
    return {frozenset(group) for group in by_id.values()}


class TestWriteTemplates:
    def test_one_output_line_per_input_line(self) -> None:
        """Every input line, blank or odd, gives exactly one `id<TAB>template` line, in order."""
        lines = ["a 1\n", "\n", "tab\there 2\r\n", "a 2\n", "   \n", "no newline at end"]
        out = io.StringIO()
        write_templates(lines, out)
        rows = out.getvalue().split("\n")
        assert rows[-1] == ""
        rows = rows[:-1]
        assert len(rows) == len(lines)
        assert all(row.count("\t") == 1 for row in rows)
        assert rows[0] == rows[3]
        assert rows[0].split("\t")[1] == "a <*>"

    @settings(max_examples=80)
    @given(st.lists(st.text(max_size=60), max_size=30))
    def test_any_text_gives_one_line_per_input(self, lines: list[str]) -> None:
        """Arbitrary text, line breaks and tabs included, never breaks the one-line-per-input contract."""
        lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
        out = io.StringIO()
        write_templates(lines, out)
        rows = out.getvalue().split("\n")[:-1]
        assert len(rows) == len(lines)
        assert all(len(row.split("\t")) == 2 for row in rows)

    def test_early_lines_show_the_final_template(self) -> None:
        """Two passes: a line written before its template generalized shows the final template."""
        out = io.StringIO()
        write_templates(["Invalid user alice from x", *(f"Invalid user {n} from x" for n in "bcdefg")], out)
        templates = {row.split("\t")[1] for row in out.getvalue().splitlines()}
        assert templates == {"Invalid user <*> from x"}
