"""The facts the demo is drawn from (../shared/seeds/), in Indonesian as reported, with English translations.

Seed 004 (Kontan, August 2017) lists each platform's commitments from the 1–4 August 2017 meetings;
seeds 000–003 tell Telegram's side: the unprocessed emails, the block, Durov's visit and his three offers.
"""

from datetime import date, datetime, timedelta, timezone

from cases.core.choices import BusinessScale, Category, CommitmentKind, CommitmentOwner, CommitmentStatus, PlatformKind

WIB = timezone(timedelta(hours=7))
SEED_004 = "Kontan, 'Ini hasil pertemuan Kominfo dengan sejumlah medsos' (August 2017), seed 004"

PLATFORMS = [
    {"slug": "telegram",
     "legal_name": "Telegram Messenger Inc.", "address": "Dubai Media City, Building 1, Dubai, United Arab Emirates",
     "name": "Telegram", "kind": PlatformKind.MESSAGING, "scale": BusinessScale.LARGE,
     "website": "https://telegram.org", "hosts": "t.me telegram.me telegram.org", "email": "abuse@telegram.example",
     "notes": "Blocked (web, 11 domains) on 14 July 2017 after six unprocessed requests about terror channels."},
    {"slug": "facebook",
     "legal_name": "Meta Platforms, Inc.", "address": "1 Meta Way, Menlo Park, CA 94025, United States",
     "name": "Facebook", "kind": PlatformKind.SOCIAL_MEDIA, "scale": BusinessScale.VERY_LARGE,
     "website": "https://facebook.com", "hosts": "facebook.com fb.com", "email": "legal@facebook.example"},
    {"slug": "google",
     "legal_name": "Google LLC (YouTube)", "address": "Pacific Century Place, Jl. Sudirman Kav. 52-53, Jakarta",
     "name": "Google (YouTube)", "kind": PlatformKind.VIDEO_SHARING,
     "scale": BusinessScale.VERY_LARGE, "website": "https://youtube.com", "hosts": "youtube.com youtu.be",
     "email": "legal@google.example"},
    {"slug": "twitter",
     "legal_name": "X Corp.", "address": "1355 Market Street, San Francisco, CA 94103, United States",
     "name": "Twitter (X)", "kind": PlatformKind.SOCIAL_MEDIA, "scale": BusinessScale.LARGE,
     "website": "https://x.com", "hosts": "x.com twitter.com", "email": "legal@x.example"},
    {"slug": "tiktok",
     "legal_name": "TikTok Pte. Ltd.", "address": "Jl. Jend. Sudirman Kav. 52-53, Jakarta 12190",
     "name": "TikTok", "kind": PlatformKind.VIDEO_SHARING, "scale": BusinessScale.VERY_LARGE,
     "website": "https://tiktok.com", "hosts": "tiktok.com", "email": "legal@tiktok.example"},
]

_SERIES_EN = (
    "Part of the ministry's 1–4 August 2017 series of meetings with social media providers on negative content "
    "(radicalism/terrorism, pornography, hoaxes, hate speech, SARA). The press release does not give the exact day."
)
_SERIES_ID = (
    "Bagian dari rangkaian pertemuan 1–4 Agustus 2017 antara Kemkominfo dan penyedia layanan media sosial untuk "
    "menangani konten negatif (radikalisme/terorisme, pornografi, hoaks, ujaran kebencian, SARA)."
)

MEETINGS = [
    {
        "title": "Pertemuan Menkominfo dengan CEO Telegram Pavel Durov",
        "title_en": "The minister meets Telegram CEO Pavel Durov",
        "held_on": date(2017, 8, 1), "ends_on": None, "place": "Kementerian Komunikasi dan Informatika, Jakarta",
        "platforms": ["telegram"],
        "ministry_attendees": "Menteri Komunikasi dan Informatika; Direktur Jenderal Aplikasi Informatika",
        "platform_attendees": "Pavel Durov (CEO Telegram)",
        "minutes": (
            "Durov menyatakan siap bekerja sama memblokir channel yang terindikasi terorisme dan konten negatif "
            "serta akun yang aktif di channel itu, dan mengawasi ketat seluruh public channel. Telegram berencana "
            "membentuk tim khusus gabungan Indonesia–Rusia untuk memantau propaganda teroris. Belum ada rencana "
            "kantor perwakilan di Indonesia. " + _SERIES_ID
        ),
        "minutes_en": (
            "Durov said Telegram would work with the government to block channels indicated as terrorist or "
            "negative content and the accounts active in them, and would closely watch all public channels. "
            "Telegram plans a joint Indonesian–Russian team to monitor terrorist propaganda. No local office yet. "
            + _SERIES_EN
        ),
    },
    *[
        {
            "title": f"Pertemuan Kemkominfo dengan {name} tentang penanganan konten negatif",
            "title_en": f"Ministry meeting with {name} on handling negative content",
            "held_on": date(2017, 8, 1), "ends_on": date(2017, 8, 4),
            "place": "Kementerian Komunikasi dan Informatika, Jakarta", "platforms": [slug],
            "ministry_attendees": "Direktur Jenderal Aplikasi Informatika; Plt Humas Kemkominfo (Noor Iza)",
            "platform_attendees": f"Perwakilan {name}",
            "minutes": _SERIES_ID, "minutes_en": _SERIES_EN,
        }
        for slug, name in (("facebook", "Facebook"), ("google", "Google"), ("twitter", "Twitter"))
    ],
]

# Every commitment seed 004 lists, word for word, in order.
COMMITMENTS = [
    {"platform": "telegram", "kind": CommitmentKind.PRIORITY_HANDLING, "source": SEED_004,
     "text": "Menghentikan propaganda terorisme yang dilakukan di dalam saluran publik Telegram.",
     "text_en": "Stop terrorist propaganda carried out in Telegram's public channels."},
    {"platform": "telegram", "kind": CommitmentKind.DIRECT_LINE, "source": SEED_004,
     "status": CommitmentStatus.FULFILLED,
     "text": "Telegram akan menyediakan jalur langsung kepada Menteri Komunikasi dan Informatika (Menkominfo) serta "
             "tim untuk memantau terorisme.",
     "text_en": "Telegram will provide a direct line to the Minister of Communication and Informatics and a team "
                "to monitor terrorism."},
    {"platform": "telegram", "kind": CommitmentKind.LOCAL_MODERATORS, "source": SEED_004,
     "measured_category": Category.TERRORISM, "target_hours": 24,
     "text": "Melibatkan anggota tim pemantau yang mampu berbahasa Indonesia untuk mempercepat penutupan saluran "
             "yang terindikasi membawa dan mengandung propaganda terorisme tidak lebih dari sehari atau secepatnya.",
     "text_en": "Involve monitoring team members who speak Indonesian, to speed up closing channels indicated to "
                "carry terrorist propaganda within no more than a day, or sooner."},
    {"platform": "facebook", "kind": CommitmentKind.GEO_BLOCKING, "source": SEED_004,
     "status": CommitmentStatus.FULFILLED,
     "text": "Facebook menyediakan fasilitas geoblocking.",
     "text_en": "Facebook provides a geo-blocking facility."},
    {"platform": "facebook", "kind": CommitmentKind.LOCAL_TEAM, "source": SEED_004,
     "text": "Facebook akan membentuk tim penanganan konten di Indonesia untuk mempercepat respon dari permintaan.",
     "text_en": "Facebook will form a content-handling team in Indonesia to respond to requests faster."},
    {"platform": "facebook", "kind": CommitmentKind.AUTOMATION, "source": SEED_004,
     "text": "Facebook akan mengaplikasi machine learning untuk membantu menurunkan jumlah spam.",
     "text_en": "Facebook will apply machine learning to help reduce the amount of spam."},
    {"platform": "facebook", "kind": CommitmentKind.OTHER, "source": SEED_004,
     "text": "Facebook akan mengurangi postingan yang merujuk pada halaman web yang berkualitas rendah.",
     "text_en": "Facebook will reduce posts that link to low-quality web pages."},
    {"platform": "google", "kind": CommitmentKind.TRUSTED_FLAGGERS, "source": SEED_004,
     "text": "Bekerjasama untuk melatih trusted vlogger sehingga mereka dapat lebih mengerti mengenai ketentuan yang "
             "ada di Google dengan baik dan dapat mengedepankan kearifan lokal.",
     "text_en": "Work together to train trusted vloggers so they understand Google's rules well and can put local "
                "wisdom first."},
    {"platform": "google", "kind": CommitmentKind.PRIORITY_HANDLING, "source": SEED_004,
     "text": "Google juga akan melakukan review terhadap flag-flag yang dibuat secara efisien.",
     "text_en": "Google will also review the flags raised, efficiently."},
    {"platform": "twitter", "kind": CommitmentKind.PRIORITY_HANDLING, "source": SEED_004,
     "measured_category": Category.TERRORISM, "target_hours": 4,
     "text": "Twitter mempercepat permintaan penanganan konten negatif seperti radikalisme dan terorisme, selain itu "
             "juga berkenaan dengan narkoba dan pornografi anak.",
     "text_en": "Twitter speeds up requests to handle negative content such as radicalism and terrorism, as well as "
                "drugs and child pornography."},
    {"platform": "twitter", "kind": CommitmentKind.FOCAL_POINT, "source": SEED_004,
     "owner": CommitmentOwner.MINISTRY, "owner_name": "Kemkominfo", "status": CommitmentStatus.FULFILLED,
     "text": "Kominfo akan menjadi Focal Point Indonesia dalam penanganan konten negatif.",
     "text_en": "Kominfo will be Indonesia's focal point for handling negative content."},
]

LEGAL_BASIS = {
    Category.TERRORISM: "UU 5/2018 (Pemberantasan Tindak Pidana Terorisme); UU ITE Pasal 40 ayat (2a)-(2b); "
                        "PM Kominfo 5/2020 Pasal 14",
    Category.CSAM: "UU 44/2008 (Pornografi) Pasal 4 ayat (1); UU 35/2014 (Perlindungan Anak); "
                   "PM Kominfo 5/2020 Pasal 14",
    Category.PUBLIC_ORDER: "PM Kominfo 5/2020 Pasal 9 ayat (4) huruf b dan Pasal 14",
    Category.PORNOGRAPHY: "UU ITE Pasal 27 ayat (1); UU 44/2008 (Pornografi)",
    Category.GAMBLING: "UU ITE Pasal 27 ayat (2); KUHP Pasal 303",
    Category.HOAX: "UU ITE Pasal 28 ayat (1) dan (3)",
    Category.HATE_SPEECH: "UU ITE Pasal 28 ayat (2)",
    Category.SARA: "UU ITE Pasal 28 ayat (2)",
    Category.DRUGS: "UU 35/2009 (Narkotika); PM Kominfo 5/2020 Pasal 9 ayat (4)",
    Category.FRAUD: "UU ITE Pasal 28 ayat (1); UU 4/2023 (P2SK)",
    Category.ILLEGAL_PRODUCTS: "UU 17/2023 (Kesehatan); PM Kominfo 5/2020 Pasal 9 ayat (4)",
    Category.PRIVACY: "UU 27/2022 (Pelindungan Data Pribadi)",
    Category.OTHER: "PM Kominfo 5/2020 Pasal 9 ayat (4)",
}

# The six emails of 2016–17 (DOMAIN.md; seed 001: "the ministry had sent us emails about terror-related
# content in Telegram's public channels, but our team did not process them quickly"). Dates and handles
# are illustrative: the articles give the count, not the days or the channel names.
TELEGRAM_HISTORY = [
    {"sent": datetime(2016, 3, 21, 9, 30, tzinfo=WIB), "handle": "demo_propaganda_channel_1",
     "note": "Dikirim melalui email ke alamat abuse Telegram (permintaan ke-1).",
     "reasons": "Public channel distributing ISIS propaganda and bomb-making instructions in Indonesian."},
    {"sent": datetime(2016, 7, 4, 10, 0, tzinfo=WIB), "handle": "demo_propaganda_channel_2",
     "note": "Dikirim melalui email (permintaan ke-2).",
     "reasons": "Channel recruiting for a proscribed group; links to the channel of request 1."},
    {"sent": datetime(2016, 11, 14, 14, 15, tzinfo=WIB), "handle": "demo_propaganda_channel_3",
     "note": "Dikirim melalui email (permintaan ke-3).",
     "reasons": "Channel glorifying the January 2016 Thamrin attack and calling for more."},
    {"sent": datetime(2017, 2, 8, 9, 0, tzinfo=WIB), "handle": "demo_propaganda_channel_4",
     "note": "Dikirim melalui email (permintaan ke-4).",
     "reasons": "Channel sharing targeting guidance against police posts."},
    {"sent": datetime(2017, 5, 29, 11, 45, tzinfo=WIB), "handle": "demo_propaganda_channel_5",
     "note": "Dikirim melalui email (permintaan ke-5), setelah serangan Kampung Melayu.",
     "reasons": "Channel celebrating the Kampung Melayu bombing and distributing propaganda videos."},
    {"sent": datetime(2017, 7, 3, 8, 30, tzinfo=WIB), "handle": "demo_propaganda_channel_6",
     "note": "Dikirim melalui email (permintaan ke-6), peringatan terakhir sebelum pemblokiran.",
     "reasons": "Channel network (mirror of requests 1–5) still distributing terrorist propaganda."},
]
