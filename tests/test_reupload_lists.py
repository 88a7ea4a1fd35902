"""Hash lists: export the hashes of confirmed illegal content, import a partner's list (ThreatExchange/HMA CSV),
and match new uploads against imported entries, naming their source. Also the `hash_evidence` backlog command."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.core.choices import Category, EventKind, EvidenceKind, Visibility
from cases.core.storage import evidence_storage
from cases.evidence import pdq
from cases.evidence.services import hashing, hashlists
from cases.models import CaseEvent, HashList, HashMatch, ImageHash, MatchDecision
from tests.reupload_images import colour_shifted, encode, flat, jpeg_q40, mhtml, poster, resized
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401
from tests.test_evidence_support import upload, use_temporary_evidence_root  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.django_db

PROPAGANDA = poster(21)


def actioned_case(make_case, liaison, category=Category.TERRORISM):
    from cases.cases.workflow import transition
    from cases.core import clock

    case = make_case(submit=True, category=category)
    transition(case, "report_action", actor=liaison, action_taken="removed", action_taken_at=clock.now().isoformat(),
               note="Removed.")
    return case


def exported(user, collab="Kominfo") -> str:
    return "".join(hashlists.export_csv_lines(actor=user, collab=collab))


def test_export_holds_hashes_of_confirmed_illegal_content_and_nothing_else(make_case, analyst, liaison_a):
    case = actioned_case(make_case, liaison_a)
    item = upload(case, analyst, "propaganda.png", encode(PROPAGANDA), visibility=Visibility.SHARED)
    hashing.hash_evidence(item.pk)
    open_case = make_case(submit=True)  # ordered, not yet actioned: not confirmed
    hashing.hash_evidence(upload(open_case, analyst, "other.png", encode(poster(22))).pk)
    actioned_flat = actioned_case(make_case, liaison_a)
    hashing.hash_evidence(upload(actioned_flat, analyst, "flat.png", flat()).pk)  # quality too low to share
    text = exported(analyst)
    lines = text.strip().splitlines()
    assert lines[0] == "signal_type,signal_str,collab,category,tags,quality"
    expected = ImageHash.objects.get(evidence=item)
    assert lines[1:] == [f"pdq,{expected.pdq},Kominfo,POSITIVE_CLASS,terrorism,{expected.quality}"]
    assert case.reference not in text and "t.me" not in text  # hashes only


def test_export_leaves_out_what_nobody_judged_illegal(make_case, analyst, liaison_a):
    # An actioned case's page archive: the images in it (the channel's avatar, say) were never judged by anyone.
    case = actioned_case(make_case, liaison_a)
    archive = mhtml(("https://t.me/i/avatar.jpg", encode(poster(61), "JPEG")))
    hashing.hash_evidence(upload(case, analyst, "page.mhtml", archive, kind=EvidenceKind.PAGE_ARCHIVE).pk)
    # Two open cases whose images a person confirmed as the same picture: neither was judged illegal yet.
    first = upload(make_case(submit=True), analyst, "a.png", encode(poster(62)))
    hashing.hash_evidence(first.pk)
    [match] = hashing.hash_evidence(upload(make_case(), analyst, "b.jpg", jpeg_q40(poster(62))).pk).matches
    hashing.decide_match(match, actor=analyst, decision=MatchDecision.CONFIRMED)
    assert ImageHash.objects.exclude(pdq="").count() == 3
    assert exported(analyst).splitlines() == [",".join(hashlists.COLUMNS)]


def test_export_holds_a_confirmed_reupload_of_judged_content_and_nothing_beside_it(make_case, analyst, liaison_a):
    case = actioned_case(make_case, liaison_a)
    original = upload(case, analyst, "p.png", encode(PROPAGANDA))
    hashing.hash_evidence(original.pk)
    # Reposted on another channel: the page archive holds the re-upload and an advertisement.
    archive = mhtml(("https://t.me/i/repost.jpg", jpeg_q40(PROPAGANDA)), ("https://t.me/i/ad.jpg", encode(poster(63),
                                                                                                          "JPEG")))
    later = upload(make_case(submit=True), analyst, "page.mhtml", archive, kind=EvidenceKind.PAGE_ARCHIVE)
    [match] = hashing.hash_evidence(later.pk).matches
    ours = ImageHash.objects.get(evidence=original).pdq
    repost = ImageHash.objects.get(evidence=later, part="https://t.me/i/repost.jpg").pdq
    assert {line.split(",")[1] for line in exported(analyst).splitlines()[1:]} == {ours}  # not confirmed yet
    hashing.decide_match(match, actor=analyst, decision=MatchDecision.CONFIRMED)
    assert {line.split(",")[1] for line in exported(analyst).splitlines()[1:]} == {ours, repost}


def test_export_then_import_round_trips(make_case, analyst, supervisor, liaison_a):
    for seed in (31, 32, 33):
        case = actioned_case(make_case, liaison_a, category=Category.CSAM if seed == 33 else Category.TERRORISM)
        hashing.hash_evidence(upload(case, analyst, f"{seed}.png", encode(poster(seed))).pk)
    text = exported(analyst)
    hash_list, skipped = hashlists.import_list(actor=supervisor, lines=io.StringIO(text), name="Kominfo export",
                                               source="Kominfo", labels="ministry")
    assert skipped == 0 and hash_list.entry_count == 3
    ours = set(ImageHash.objects.filter(evidence__isnull=False).values_list("pdq", "quality"))
    theirs = set(hash_list.entries.values_list("pdq", "quality"))
    assert ours == theirs
    assert sorted(hash_list.entries.values_list("labels", flat=True)) == ["csam", "terrorism", "terrorism"]
    # ... and exporting what was imported gives the same rows back (imported entries are not ours to re-share).
    assert exported(analyst) == text


def test_an_imported_hash_matches_a_new_upload_and_names_its_source(make_case, analyst, supervisor):
    partner_hash = pdq.hash_image_bytes(encode(PROPAGANDA))
    csv_text = (
        "signal_type,signal_str,collab,category,tags,quality\n"
        f"pdq,{partner_hash.hex},GIFCT,POSITIVE_CLASS,terrorism propaganda,{partner_hash.quality}\n"
        "md5,d41d8cd98f00b204e9800998ecf8427e,GIFCT,POSITIVE_CLASS,terrorism,\n"
    )
    hash_list, skipped = hashlists.import_list(actor=supervisor, lines=io.StringIO(csv_text),
                                               name="GIFCT HSDB extract", source="GIFCT", labels="gifct")
    assert (hash_list.entry_count, skipped) == (1, 1)
    case = make_case()
    item = upload(case, analyst, "reposted.jpg", jpeg_q40(PROPAGANDA))
    outcome = hashing.hash_evidence(item.pk)
    [match] = outcome.matches
    assert match.matched_evidence is None and match.matched_hash.hash_list == hash_list
    event = CaseEvent.objects.get(case=case, kind=EventKind.MATCH_FOUND)
    assert "the list “GIFCT HSDB extract” from GIFCT" in event.note
    assert event.data["matches"][0]["source"] == "GIFCT"
    body = bearer_client(analyst).get(f"/api/v1/evidence/{item.pk}/").json()
    [shown] = body["matches"]
    assert shown["relation"] == "hash_list" and shown["evidence"] is None and shown["case"] is None
    assert shown["source"] == {"list": "GIFCT HSDB extract", "source": "GIFCT", "labels": "terrorism propaganda"}


def test_imported_entries_without_quality_match_too(make_case, analyst):
    value = pdq.hash_image_bytes(encode(PROPAGANDA)).hex
    hashlists.import_list(actor=analyst, lines=[f"pdq {value}\n"], name="file exchange", source="Partner")
    item = upload(make_case(), analyst, "x.png", colour_shifted(PROPAGANDA))
    assert len(hashing.hash_evidence(item.pk).matches) == 1


@pytest.mark.parametrize("text", [
    "hash=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,quality=100,filename=a.jpg\n",
    "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n",
    "F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B22,100\n",
    "hash,quality,label\nf8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,x\n",
    "\ufeffsignal_type,signal_str\r\npdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\r\n",
])
def test_the_formats_partners_send_are_read(analyst, text):
    lines = hashlists.decode_upload(io.BytesIO(text.encode()))
    hash_list, _ = hashlists.import_list(actor=analyst, lines=lines, name="n", source="s")
    assert list(hash_list.entries.values_list("pdq", flat=True)) == [
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"]


@pytest.mark.parametrize(("text", "words"), [
    ("", "no hashes"),
    ("signal_type,signal_str\n", "no PDQ hashes"),
    ("signal_str,quality\nnot-a-hash,100\n", "line 2: “not-a-hash” is not a PDQ hash"),
    (f"hash,quality\n{'a' * 64},101\n", "line 2: the quality “101”"),
    (f"{'a' * 64}\n{'b' * 63}\n", "line 2"),
    (b"\xff\xfe\x00\x00garbage".decode("latin-1"), "not a PDQ hash"),
    (f"\n\n{'a' * 64}\nnope\n", "line 4: “nope”"),  # lines are counted from the top of the file
    ("\n\nhash,quality\nnope,1\n", "line 4: “nope”"),
    ("hash,labels\n" + f"{'a' * 64},\"" + "x" * 140_000 + "\"\n", "line 2 is not valid CSV"),  # a field over 128 KiB
    ("hash\n" + "nope\n" * 100_000, "and 99990 more lines"),
])
def test_a_bad_list_is_refused_whole_and_leaves_nothing(analyst, text, words):
    with pytest.raises(ValidationError) as err:
        hashlists.import_list(actor=analyst, lines=io.StringIO(text), name="n", source="s")
    assert words in " ".join(err.value.messages)
    assert not HashList.objects.exists() and not ImageHash.objects.exists()


@pytest.mark.parametrize(("data", "words"), [
    (b"PNG\r\n\x1a\n\x00\x00\n", "not a text file"),
    (b"\xff\xfe\xfa bad", "not UTF-8"),
    (f"hash\n{'a' * 64}\n".encode("utf-16"), "not UTF-8"),
    (b"hash\n" + b"a" * 64 + b",\xed\xa0\x80\n", "not UTF-8"),  # a lone surrogate, encoded
    (b"hash\n" + b"a" * 64 + b"\x00\n", "not a text file"),
    (b"hash\n" + b"a" * 50_000_000, "line 2 is longer than 10,000 characters"),  # never read whole
])
def test_binary_non_utf8_or_endless_files_are_refused(analyst, data, words):
    with pytest.raises(ValidationError) as err:
        hashlists.import_list(actor=analyst, lines=hashlists.decode_upload(io.BytesIO(data)), name="n", source="s")
    assert words in " ".join(err.value.messages)
    assert not HashList.objects.exists() and not ImageHash.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("name", "GIFCT\x00"), ("source", "\udcffGIFCT"),
                                              ("labels", "terror\x00"), ("description", "\ud800")])
def test_names_and_labels_the_database_cannot_store_are_refused(analyst, field, value):
    given = {"name": "n", "source": "s"} | {field: value}
    with pytest.raises(ValidationError) as err:
        hashlists.import_list(actor=analyst, lines=[f"{'a' * 64}\n"], **given)
    assert field in err.value.error_dict
    assert not HashList.objects.exists()


def test_the_lines_threatexchanges_cli_prints_are_read(analyst):
    line = f"pdq {'a' * 64} 'GIFCT' {{'category': 'POSITIVE_CLASS', 'tags': 'terrorism'}}\n"
    hash_list, _ = hashlists.import_list(actor=analyst, lines=[line], name="n", source="s")
    assert list(hash_list.entries.values_list("pdq", "quality")) == [("a" * 64, None)]


def test_only_ministry_writers_import_and_export(auditor, liaison_a):
    for user in (auditor, liaison_a):
        with pytest.raises(PermissionDenied):
            hashlists.import_list(actor=user, lines=[f"{'a' * 64}\n"], name="n", source="s")
        with pytest.raises(PermissionDenied):
            exported(user)



def test_a_list_needs_a_name_and_a_source(analyst):
    with pytest.raises(ValidationError, match="Say who shared"):
        hashlists.import_list(actor=analyst, lines=[f"{'a' * 64}\n"], name="n", source="  ")


def test_the_console_imports_and_exports(client, analyst, make_case, liaison_a):
    case = actioned_case(make_case, liaison_a)
    hashing.hash_evidence(upload(case, analyst, "p.png", encode(PROPAGANDA)).pk)
    client.force_login(analyst)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post("/admin/cases/hashlist/add/", {
        "name": "Partner", "source": "Meta", "upload": SimpleUploadedFile("l.csv", b"hash\nnope\n")})
    assert bad.status_code == 200 and "is not a PDQ hash" in bad.content.decode() and not HashList.objects.exists()
    good = client.post("/admin/cases/hashlist/add/", {
        "name": "Partner", "source": "Meta", "labels": "terrorism",
        "upload": SimpleUploadedFile("l.csv", f"hash,quality\n{'c' * 64},80\n".encode())}, follow=True)
    assert "Imported 1 hashes" in good.content.decode()
    assert HashList.objects.get().entries.get().pdq == "c" * 64
    quoted_on_and_on = b"hash,labels\n" + b"a" * 64 + b',"' + (b"x" * 9_000 + b"\n") * 20 + b'"\n'
    for data, words in ((b"hash\n" + b"a" * 140_000 + b"\n", "line 2 is longer than 10,000 characters"),
                        (quoted_on_and_on, "line 16 is not valid CSV"),  # a field over 128 KiB, line by line
                        (b"a" * 64 + b"\n" * (hashlists.CONSOLE_MAX_BYTES - 63), "python manage.py hash_list import")):
        refused = client.post("/admin/cases/hashlist/add/", {
            "name": "Partner", "source": "Meta", "upload": SimpleUploadedFile("l.csv", data)})
        assert refused.status_code == 200 and words in refused.content.decode()
    assert HashList.objects.count() == 1  # the good one only
    response = client.post("/admin/cases/hashlist/export/", {"collab": "Kominfo"})
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"].startswith('attachment; filename="patuh-pdq-')
    assert body.splitlines()[1].startswith("pdq,") and "c" * 64 not in body


def test_hash_evidence_catches_up_resumably(make_case, analyst, capsys):
    earlier = upload(make_case(submit=True), analyst, "a.png", encode(PROPAGANDA))
    later = upload(make_case(), analyst, "b.png", resized(PROPAGANDA))
    lost = upload(make_case(), analyst, "c.png", encode(poster(40)))
    evidence_storage().delete(lost.file.name)
    with pytest.raises(CommandError) as err:
        call_command("hash_evidence", "--no-progress")
    assert err.value.returncode == 1
    out = capsys.readouterr().out
    assert f"FAILED  evidence {lost.pk}" in out and "Hashed 2 evidence items (2 images); 1 possible re-uploads" in out
    assert HashMatch.objects.get().evidence == later and HashMatch.objects.get().matched_evidence == earlier
    # The file comes back: the next run does only what is left.
    evidence_storage().save(lost.file.name, io.BytesIO(encode(poster(40))))
    call_command("hash_evidence", "--no-progress")
    assert "Hashed 1 evidence items (1 images); 0 possible re-uploads found; 0 failed." in capsys.readouterr().out
    call_command("hash_evidence", "--no-progress")
    assert "Hashed 0 evidence items" in capsys.readouterr().out


def test_hash_list_command_round_trip(tmp_path, analyst, make_case, liaison_a, capsys):
    case = actioned_case(make_case, liaison_a)
    hashing.hash_evidence(upload(case, analyst, "p.png", encode(PROPAGANDA)).pk)
    out = tmp_path / "ours.csv"
    call_command("hash_list", "export", "--as", analyst.username, "--output", str(out))
    assert "Wrote 1 hashes" in capsys.readouterr().out
    call_command("hash_list", "import", str(out), "--as", analyst.username, "--name", "back", "--source", "us")
    assert HashList.objects.get().entries.count() == 1
    with pytest.raises(CommandError, match="not a PDQ hash"):
        (tmp_path / "bad.csv").write_text("hash\nzz\n")
        call_command("hash_list", "import", str(tmp_path / "bad.csv"), "--as", analyst.username, "--name", "x",
                     "--source", "y")
