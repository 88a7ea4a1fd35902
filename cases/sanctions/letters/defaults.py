"""Version 1 of every letter template, per type and language. Administrators edit them in the console
(Letter templates); each save is a new version and letters keep the version they were produced from.

Templates are Jinja2 (sandboxed), producing HTML. The data they may use is the letter's own, listed in
`cases.sanctions.services.letters.FIELDS`.
"""

ORDER_ID = """<p>Dengan hormat,</p>
<p>Berdasarkan {{ legal_basis }}, Kementerian meminta {{ addressee.name }} selaku penyelenggara
{{ addressee.platform }} untuk melakukan pemutusan akses terhadap konten berikut paling lambat pada tenggat yang
tercantum:</p>
<table class="cases"><tr><th>Nomor kasus</th><th>Kategori</th><th>Lokasi konten</th><th>Tenggat</th></tr>
{% for c in cases %}<tr><td>{{ c.reference }}</td><td>{{ c.category }}</td><td class="url">{{ c.location }}</td>
<td>{{ c.deadline }}</td></tr>{% endfor %}</table>
<p>Alasan: {% for c in cases %}{{ c.reasons }}{% if not loop.last %}; {% endif %}{% endfor %}</p>
<p>Tindakan yang diminta: {% for c in cases %}{{ c.requested_action }}{% if not loop.last %}; {% endif %}{% endfor %}.
Mohon laporkan tindakan yang diambil melalui konsol platform atau API Patuh.</p>
<p class="redress"><strong>Upaya keberatan.</strong> {{ redress }}</p>"""

ORDER_EN = """<p>Dear Sir or Madam,</p>
<p>Pursuant to {{ legal_basis }}, the Ministry requests {{ addressee.name }}, operator of
{{ addressee.platform }}, to take down the following content by the deadline shown:</p>
<table class="cases"><tr><th>Case</th><th>Category</th><th>Location</th><th>Deadline</th></tr>
{% for c in cases %}<tr><td>{{ c.reference }}</td><td>{{ c.category }}</td><td class="url">{{ c.location }}</td>
<td>{{ c.deadline }}</td></tr>{% endfor %}</table>
<p>Grounds: {% for c in cases %}{{ c.reasons }}{% if not loop.last %}; {% endif %}{% endfor %}</p>
<p>Action requested: {% for c in cases %}{{ c.requested_action }}{% if not loop.last %}; {% endif %}{% endfor %}.
Please report the action taken in the platform console or through Patuh's API.</p>
<p class="redress"><strong>Objection.</strong> {{ redress }}</p>"""

SANCTION_ID = """<p>Dengan hormat,</p>
<p>Berdasarkan {{ legal_basis }}, dan mengingat {{ addressee.platform }} tidak menindaklanjuti permintaan
pemutusan akses dalam tenggat yang ditetapkan, Kementerian dengan ini menerbitkan
<strong>{{ sanction.level_label }}</strong> kepada {{ addressee.name }}.</p>
{% if cases %}<p>Kasus yang menjadi dasar:</p>
<table class="cases"><tr><th>Nomor kasus</th><th>Kategori</th><th>Lokasi konten</th><th>Tenggat</th><th>Keterlambatan</th></tr>
{% for c in cases %}<tr><td>{{ c.reference }}</td><td>{{ c.category }}</td><td class="url">{{ c.location }}</td>
<td>{{ c.deadline }}</td><td>{{ c.lateness }}</td></tr>{% endfor %}</table>
{% else %}<p>Dasar konten: {{ sanction.content_category }}.</p>{% endif %}
<p>Pertimbangan: {{ sanction.reason }}</p>
{% if sanction.amount %}<p>Besaran denda administratif: <strong>{{ sanction.amount }}</strong>, dihitung dari
{% for line in sanction.fine_lines %}{{ line.factor }} ({{ line.words }}: {{ line.value }}){% if not loop.last %}, {% endif %}{% endfor %},
batas poin {{ sanction.points_cap }} dan tarif {{ sanction.tariff }} per poin.</p>{% endif %}
<p class="redress"><strong>Upaya hukum.</strong> {{ redress }}</p>"""

SANCTION_EN = """<p>Dear Sir or Madam,</p>
<p>Pursuant to {{ legal_basis }}, and as {{ addressee.platform }} did not act on takedown requests within their
deadlines, the Ministry hereby issues a <strong>{{ sanction.level_label }}</strong> to {{ addressee.name }}.</p>
{% if cases %}<p>The cases on which it is based:</p>
<table class="cases"><tr><th>Case</th><th>Category</th><th>Location</th><th>Deadline</th><th>Lateness</th></tr>
{% for c in cases %}<tr><td>{{ c.reference }}</td><td>{{ c.category }}</td><td class="url">{{ c.location }}</td>
<td>{{ c.deadline }}</td><td>{{ c.lateness }}</td></tr>{% endfor %}</table>
{% else %}<p>Content basis: {{ sanction.content_category }}.</p>{% endif %}
<p>Considerations: {{ sanction.reason }}</p>
{% if sanction.amount %}<p>Administrative fine: <strong>{{ sanction.amount }}</strong>, computed from
{% for line in sanction.fine_lines %}{{ line.factor }} ({{ line.words }}: {{ line.value }}){% if not loop.last %}, {% endif %}{% endfor %},
a cap of {{ sanction.points_cap }} points and a tariff of {{ sanction.tariff }} per point.</p>{% endif %}
<p class="redress"><strong>Redress.</strong> {{ redress }}</p>"""

SUBJECTS = {
    ("order", "id"): "Permintaan Pemutusan Akses Konten ({{ cases|length }} kasus)",
    ("order", "en"): "Request to take down content ({{ cases|length }} case(s))",
    ("st1", "id"): "Surat Teguran Pertama", ("st1", "en"): "First warning letter",
    ("st2", "id"): "Surat Teguran Kedua", ("st2", "en"): "Second warning letter",
    ("st3", "id"): "Surat Teguran Ketiga", ("st3", "en"): "Third warning letter",
    ("fine", "id"): "Keputusan Pengenaan Denda Administratif", ("fine", "en"): "Decision imposing an administrative fine",
    ("block", "id"): "Rekomendasi Pemutusan Akses", ("block", "en"): "Recommendation to block access",
}


def default(kind: str, language: str) -> tuple[str, str]:
    """(subject, body) of version 1."""
    if kind == "order":
        body = ORDER_ID if language == "id" else ORDER_EN
    else:
        body = SANCTION_ID if language == "id" else SANCTION_EN
    return SUBJECTS[(kind, language)], body


LAYOUT = """<!DOCTYPE html><html lang="{{ letter.language }}"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 22mm 20mm 22mm 22mm;
  @bottom-center { content: "{{ letter.number }} · " counter(page) "/" counter(pages); font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Serif", serif; font-size: 10.5pt; line-height: 1.4; color: #111; }
.letterhead { text-align: center; border-bottom: 3px double #111; padding-bottom: 6pt; margin-bottom: 12pt; }
.letterhead .state { font-size: 10pt; letter-spacing: 1pt; }
.letterhead .ministry { font-size: 14pt; font-weight: bold; }
.letterhead .unit { font-size: 11pt; }
.letterhead .address { font-size: 8.5pt; color: #333; }
table.meta td { padding: 1pt 6pt 1pt 0; vertical-align: top; }
table.cases { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 6pt 0; }
table.cases th, table.cases td { border: 0.5pt solid #444; padding: 3pt; text-align: left; vertical-align: top; }
td.url { word-break: break-all; }
.addressee { margin: 12pt 0; }
.signature { margin-top: 24pt; margin-left: 55%; }
.signature .space { height: 36pt; }
.digest { margin-top: 18pt; font-size: 7.5pt; color: #555; }
</style></head><body>
<div class="letterhead"><div class="state">{{ ministry.state }}</div><div class="ministry">{{ ministry.name }}</div>
<div class="unit">{{ ministry.unit }}</div><div class="address">{{ ministry.address }}</div></div>
<table class="meta"><tr><td>{{ labels.number }}</td><td>: {{ letter.number }}</td></tr>
<tr><td>{{ labels.date }}</td><td>: {{ letter.date }}</td></tr>
<tr><td>{{ labels.subject }}</td><td>: <strong>{{ letter.subject }}</strong></td></tr></table>
<div class="addressee">{{ labels.to }}<br><strong>{{ addressee.name }}</strong>{% if addressee.platform != addressee.name %} ({{ addressee.platform }}){% endif %}<br>
{% if addressee.address %}{{ addressee.address }}<br>{% endif %}
{% if addressee.attention %}{{ labels.attention }} {{ addressee.attention|join(", ") }}<br>{% endif %}
{% if addressee.email %}{{ addressee.email }}{% endif %}</div>
{{ body }}
<div class="signature">{{ signatory.title }},<div class="space"></div><strong>{{ signatory.name }}</strong></div>
</body></html>"""

LABELS = {
    "id": {"number": "Nomor", "date": "Tanggal", "subject": "Perihal", "to": "Kepada Yth.", "attention": "u.p."},
    "en": {"number": "Number", "date": "Date", "subject": "Subject", "to": "To", "attention": "Attn."},
}
