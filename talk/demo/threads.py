"""The demo's discussions: what people say on the general boards and about items, before it is
scheduled and written through the services."""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import quote

from talk.demo.catalogue import (
    COLLECTORS,
    DONORS,
    VOLUNTEERS,
    ItemInfo,
    item_path,
)


@dataclass
class Post:
    author: str
    body: str
    reply_to: int | None = None  # index of an earlier post in the same thread
    edit: str | None = None  # the author later replaces the body with this
    delete: bool = False  # the author later deletes it


@dataclass
class Thread:
    title: str
    posts: list[Post]
    board: str | None = None  # a general board's title
    item: str | None = None  # an item's external id


class _Voices:
    """Picks distinct volunteers for a thread."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def volunteers(self, count: int) -> list[str]:
        return self.rng.sample(VOLUNTEERS, count)


CHATTER = (
    "Thanks, that makes sense now.",
    "+1 — I read it the same way.",
    "Good catch! I'd have missed that.",
    "I learn something new in every thread here.",
    "Following this one, I have a sheet with the same problem.",
)


def _sheet_threads(rng: random.Random, item: ItemInfo, other: ItemInfo, template: int) -> Thread:
    m = item.meta
    assert item.species is not None
    a, b, c = _Voices(rng).volunteers(3)
    collector, year = m["collector"], int(m["date"].rsplit(" ", 1)[1])
    if template == 0:
        wrong = rng.choice([x for x in COLLECTORS if x != collector])
        posts = [
            Post(
                a,
                f"The label on this sheet is in pencil and quite faded. I read the collector as "
                f"**{wrong}**, but the catalogue says **{collector}**. Which is right? "
                "#handwriting",
            ),
            Post(
                b,
                f"Zooming in on the bottom right, I think it's {collector}: the flourish on the "
                f"capital matches [this sheet]({item_path(other)}) by the same collector.",
            ),
            Post(
                "eleanor",
                f"Yes, this is {collector}, @{a}. A few tips for reading this hand:\n\n"
                "- the *J* and the *I* look almost identical\n"
                "- months are written in Roman numerals (`vi` for June)\n"
                '- "Herb." before a name means the sheet came from that person\'s herbarium\n\n'
                "Thanks for flagging it!",
                reply_to=0,
            ),
            Post(a, "That's really helpful, thank you. I'll look out for the numerals.", 2),
        ]
        return Thread("Collector's name on the label", posts, item=item.external_id)
    if template == 1:
        alt = year + rng.choice((-10, 10))
        posts = [
            Post(
                a,
                f"The year on the label could be **{year}** or **{alt}**: the third digit is "
                f"smudged. The label says `{m['date_on_label']}`.",
            ),
            Post(
                b,
                f"Other sheets from {m['place']} by {collector} are from the {year // 10 * 10}s, "
                f"so I'd go with {year}. #dates",
            ),
            Post(
                "eleanor",
                "> the third digit is smudged\n\n"
                f"It's a {str(year)[2]}: compare how the same digit is written in the catalogue "
                f"number. I've checked the collector's field notebook: **{m['date']}**.",
                reply_to=0,
            ),
        ]
        return Thread(f"Date: {year} or {alt}?", posts, item=item.external_id)
    if template == 2:
        place = m["place"]
        posts = [
            Post(a, f'Does anyone know where exactly "{m["locality"]}" is? Is it still there?'),
            Post(
                b,
                f"There's a {place} on the modern map: "
                f"https://www.openstreetmap.org/search?query={quote(place + ', Dorset')} "
                "and the habitat description fits.",
            ),
            Post(
                "tomas",
                "Thanks both. Grid references will be part of the next workflow; for now please "
                "note them in the thread like this.",
            ),
        ]
        if rng.random() < 0.5:
            posts.append(
                Post(
                    c,
                    f"I walked there last spring and the {item.species.common} is still there!",
                    reply_to=1,
                )
            )
        return Thread(f"Where is {place}?", posts, item=item.external_id)
    if template == 3:
        day = m["date"].split(" ", 1)[0]
        wrong_day = str(int(day) + 10 if int(day) < 19 else int(day) - 10)
        table = (
            "| Field | Reading |\n| --- | --- |\n"
            f"| Species | *{item.species.name}* |\n| Locality | {m['locality']} |\n"
            f"| Collector | {collector} |\n"
        )
        posts = [
            Post(
                a,
                "Here's my transcription of the label; corrections welcome:\n\n"
                + table
                + f"| Date | {m['date'].replace(day, wrong_day, 1)} |\n",
                edit="Here's my transcription of the label; corrections welcome:\n\n"
                + table
                + f"| Date | {m['date']} |\n\n*Edited: corrected the day, thanks Eleanor.*",
            ),
            Post(b, f"Looks right to me, though I'm unsure about the day ({wrong_day}?)."),
            Post(
                "eleanor",
                f"The day is **{day}**: the extra stroke belongs to the letter above. Otherwise "
                "the transcription is spot on.",
                reply_to=0,
            ),
        ]
        return Thread("Transcription check", posts, item=item.external_id)
    if template == 4:
        det_year = year + rng.randint(15, 40)
        posts = [
            Post(
                a,
                "There's a small determination slip glued above the label:\n\n"
                f"> det. E. M. Marsh, {det_year}\n\n"
                f"Is that the same plant as the name on the main label (*{item.species.name}*)? "
                "#determination",
            ),
            Post(
                "eleanor",
                "Good spot. The slip records a later check of the identification, and "
                f"*{item.species.name}* ({item.species.family}) is still the accepted name. For "
                "name histories see [IPNI](https://www.ipni.org/) or "
                "[Plants of the World Online](https://powo.science.kew.org/).",
            ),
        ]
        return Thread("Determination slip", posts, item=item.external_id)
    if template == 5:
        posts = [
            Post(
                a,
                "Some leaves have small round holes and there's a brown stain by the stem. "
                "Should damage like this be reported somewhere? #damage",
            ),
            Post(
                "maya",
                "Thanks for reporting it. I've added this sheet to the conservation list for "
                "when the cabinet is next opened. Please keep flagging damage here.",
            ),
        ]
        return Thread("Insect damage on the specimen", posts, item=item.external_id)
    if template == 6:
        posts = [
            Post(
                a,
                f"This looks like the same gathering as ^{other.external_id}: same collector and "
                "place. Is it a duplicate? #duplicate",
            ),
            Post(
                "eleanor",
                "Collectors often made several sheets from one gathering and swapped duplicates "
                "with other herbaria. Both sheets keep their own catalogue numbers, but do note "
                "the link in both threads.",
            ),
            Post(b, "Noted on the other sheet too."),
        ]
        return Thread("Duplicate of another sheet?", posts, item=item.external_id)
    posts = [
        Post(
            a,
            f"Just wanted to say this is a beautiful {item.species.common}: you can still see the "
            f"colour in the {item.species.part} after more than a century! #favourite",
        ),
        Post(b, "Agreed, one of the best in the collection so far."),
    ]
    return Thread(f"Lovely {item.species.common}", posts, item=item.external_id)


def _register_thread(rng: random.Random, item: ItemInfo, other: ItemInfo, template: int) -> Thread:
    m = item.meta
    a, b, _c = _Voices(rng).volunteers(3)
    if template == 0:
        line = rng.randint(3, 20)
        donor = rng.choice(DONORS)
        posts = [
            Post(
                a,
                f"Entry {line} on this page has a donor name I can't read. It begins with "
                f"*{donor.split()[-1][:3]}*… any ideas?",
            ),
            Post(
                b,
                f"Could it be **{donor}**? The same name is on ^{other.external_id}.",
            ),
            Post(
                "eleanor",
                f"Yes: {donor} gave several parcels of sheets in {m['years'][:4]}. Well done!",
                reply_to=1,
            ),
        ]
        return Thread(f"Illegible donor in entry {line}", posts, item=item.external_id)
    if template == 1:
        posts = [
            Post(a, "Several entries are struck through in red ink. Should we transcribe them?"),
            Post(
                "tomas",
                "Yes please:\n\n1. transcribe the entry as written\n2. add *struck through* in "
                "the notes\n3. copy any note in the margin\n\nStruck-through entries usually "
                "mean the specimen went to another museum.",
            ),
            Post(a, "Will do, thanks!", 1),
        ]
        return Thread("Crossed-out entries", posts, item=item.external_id)
    start = rng.randint(1100, 1400)
    posts = [
        Post(
            a,
            f"The accession numbers jump from {start} to {start + 40} between the previous page "
            "and this one. Is a page missing?",
        ),
        Post(
            "eleanor",
            f"No page is missing: numbers {start + 1}–{start + 39} were entered in a separate "
            "register for the insect collection, which shared the number series until 1895.",
        ),
    ]
    return Thread("Gap in the accession numbers", posts, item=item.external_id)


def _general_threads(collection: list[ItemInfo]) -> list[Thread]:
    sheets = [i for i in collection if i.kind == "sheet"]
    counts: dict[str, int] = {}
    for sheet in sheets:
        counts[sheet.meta["collector"]] = counts.get(sheet.meta["collector"], 0) + 1
    collector_table = "| Collector | Sheets |\n| --- | ---: |\n" + "".join(
        f"| {name} | {count} |\n" for name, count in sorted(counts.items(), key=lambda kv: -kv[1])
    )
    fav = sheets[7]
    return [
        Thread(
            "Welcome to the Wessex Herbarium project",
            [
                Post(
                    "olivia",
                    "Welcome, everyone! Over the next months we're reading the labels of **180 "
                    "herbarium sheets** and the accession registers that record their history.\n\n"
                    "How to take part:\n\n"
                    "1. open a sheet from the *Items* list\n"
                    "2. start a discussion on the sheet if anything puzzles you\n"
                    "3. ask general questions on the **Help** board\n\n"
                    "Our curator, Dr Eleanor Marsh, answers questions about the specimens. "
                    "Read more about the society at https://example.org/wessex-naturalists.",
                ),
            ],
            board="Announcements",
        ),
        Thread(
            "We've discussed over 50 sheets!",
            [
                Post(
                    "adam",
                    "Thank you all: more than **50 sheets** have their own discussions already. "
                    "Special thanks to everyone answering each other's questions on **Help**.",
                )
            ],
            board="Announcements",
        ),
        Thread(
            "How do I zoom in on an image?",
            [
                Post("kew_walker", "The labels are tiny on my laptop. Is there a way to zoom?"),
                Post(
                    "tomas",
                    "Open the item and click the image: it opens full size in a new tab, where "
                    "your browser's zoom (**Ctrl** and **+**) works. On a phone, pinch.",
                ),
                Post("kew_walker", "Perfect, thank you!", 1),
            ],
            board="Help",
        ),
        Thread(
            "What does 'det.' mean on a label?",
            [
                Post("botanybee", "Many labels have *det.* followed by a name. What does it mean?"),
                Post(
                    "eleanor",
                    '*det.* is short for *determinavit*, "identified by". Others you\'ll meet:\n\n'
                    "- **leg.**: *legit*, collected by\n"
                    "- **conf.**: *confirmavit*, confirmed by\n"
                    "- **s.n.**: *sine numero*, no collector's number\n"
                    "- **Herb.**: herbarium (whose collection the sheet was in)",
                ),
                Post("inkhunter", "Saving this for later, thanks!", 1),
                Post("quillpen", "Thanks! Sorry, posted twice by mistake.", delete=True),
            ],
            board="Help",
        ),
        Thread(
            "Reading Victorian handwriting",
            [
                Post(
                    "margaret_moss",
                    "Does anyone have tips for reading 19th-century handwriting? The long *s* "
                    "keeps catching me out.",
                ),
                Post(
                    "inkhunter",
                    "The National Archives has a free palaeography tutorial: "
                    "[Reading old documents](https://www.nationalarchives.gov.uk/palaeography/). "
                    "It's mostly older hands but the tips carry over.",
                ),
                Post(
                    "eleanor",
                    "By the 1860s the long *s* was long gone; what you're seeing is probably the "
                    "looped *ss*, written like *fs*. Compare *Ma**ss**ey* and *Cro**ss**ways*.",
                    reply_to=0,
                ),
            ],
            board="Help",
        ),
        Thread(
            "Formatting comments",
            [
                Post("downland_dave", "How do people make bold text and tables in comments?"),
                Post(
                    "maya",
                    "Comments use Markdown:\n\n"
                    "```\n**bold**, *italic*, [a link](https://example.org)\n"
                    "> a quote\n- a list item\n```\n\n"
                    "Tables are rows of cells between `|` characters, with `| --- |` under the "
                    "header row.",
                ),
            ],
            board="Help",
        ),
        Thread(
            "Introduce yourself!",
            [
                Post(
                    "olivia",
                    "Tell us a little about yourself and what brought you to the project.",
                ),
                Post(
                    "fern_finder",
                    "Hi all, retired science teacher from Bridport. Ferns are my thing, as you "
                    "might guess.",
                ),
                Post(
                    "lichen_lady",
                    "Hello! I volunteer at a museum in Bath and wanted to try remote work "
                    "on a collection.",
                    edit="Hello! I volunteer at a museum in Bath and wanted to try working "
                    "remotely on a collection.",
                ),
                Post(
                    "downland_dave",
                    "Dave here: I walk the downs every weekend and love seeing the places on "
                    "these labels.",
                ),
                Post("olivia", "Welcome all, lovely to have you here!", 3),
            ],
            board="Chat",
        ),
        Thread(
            "Favourite sheet so far?",
            [
                Post("botanybee", "Mine is this one: the colours!"),
                Post(
                    "quillpen",
                    f"[{fav.title}]({item_path(fav)}) for me. The label is a work of art.",
                ),
            ],
            board="Chat",
        ),
        Thread(
            "Cowslips on the downs this weekend",
            [
                Post(
                    "downland_dave",
                    "Went looking for the cowslip site from one of the sheets above Cerne "
                    "Abbas. Still there, 140 years on!",
                ),
                Post("fern_finder", "That's wonderful. Did you take photos?", 0),
                Post("downland_dave", "A few, I'll share them in the Research board.", 1),
            ],
            board="Chat",
        ),
        Thread(
            "Collectors in the collection",
            [
                Post(
                    "inkhunter",
                    "I counted sheets per collector from the catalogue data:\n\n"
                    + collector_table
                    + "\nDoes anyone know more about the less familiar names?",
                ),
                Post(
                    "eleanor",
                    "Great table. Edith Ashworth and Clara Ferrars corresponded for years; their "
                    "letters are in the society's archive and we hope to add them later.",
                ),
            ],
            board="Research",
        ),
        Thread(
            "Localities then and now",
            [
                Post(
                    "margaret_moss",
                    "I'm building a list of label localities with modern place names. So far:\n\n"
                    "- *Water meadows below Salisbury*: Harnham water meadows\n"
                    "- *Ramparts of Maiden Castle*: unchanged\n"
                    "- *Greensand lane below Shaftesbury*: probably St John's Hill",
                ),
                Post("lichen_lady", "Happy to help with the Wiltshire ones.", 0),
            ],
            board="Research",
        ),
        Thread(
            "Edith Ashworth's field notebooks",
            [
                Post(
                    "quillpen",
                    "Several sheets say *see notebook* on the label. Do the notebooks survive?",
                ),
                Post(
                    "eleanor",
                    "Three of the five do, in the society's archive. They give exact spots for "
                    "many gatherings, for example:\n\n"
                    "> 14.vi.87. Orchis in fine flower on the north slope above the Giant, "
                    "with Primula going over.\n\n"
                    "We plan to photograph them for a later phase of the project.",
                ),
                Post("fern_finder", "That would be wonderful!", 1),
            ],
            board="Research",
        ),
        Thread(
            "A sheet with no label at all",
            [
                Post(
                    "kew_walker",
                    "I've found a sheet with a plant but no label, only a catalogue stamp. "
                    "What should I do? @moderators",
                ),
                Post(
                    "tomas",
                    "Start a discussion on the item itself and tag it **#nolabel**: the curator "
                    "checks those against the accession registers.",
                ),
            ],
            board="Help",
        ),
        Thread(
            "Abbreviations for counties",
            [
                Post("margaret_moss", "What do *Dors.*, *Wilts.* and *v.c. 9* mean on labels?"),
                Post(
                    "eleanor",
                    "| Label | Meaning |\n| --- | --- |\n| Dors. | Dorset |\n"
                    "| Wilts. | Wiltshire |\n| v.c. 9 | vice-county 9 (Dorset) |\n"
                    "| v.c. 8 | vice-county 8 (South Wiltshire) |\n\n"
                    "Vice-counties are fixed recording areas, used by botanists since 1852.",
                ),
            ],
            board="Help",
        ),
        Thread(
            "Photos from the field",
            [
                Post(
                    "downland_dave",
                    "Share photos of places from the labels as they are today! Links to your "
                    "own albums are fine.",
                ),
                Post("lichen_lady", "Lulworth cliffs last week: the thrift was out everywhere."),
                Post("botanybee", "Love this thread idea.", 0),
            ],
            board="Chat",
        ),
        Thread(
            "Moderation notes for this week",
            [
                Post(
                    "maya",
                    "All quiet: one duplicate post removed by its author. Please keep pointing "
                    "new volunteers to **Formatting comments** on Help.",
                ),
                Post("tomas", "Will do."),
            ],
            board="Team room",
        ),
        Thread(
            "Expert review queue",
            [
                Post(
                    "eleanor",
                    "Threads waiting for a curator's answer:\n\n"
                    "- determination slips (several)\n- the accession number gaps in vol. 4",
                ),
                Post("olivia", "Thanks Eleanor. I'll ask the archive about vol. 4."),
            ],
            board="Team room",
        ),
    ]


def _french_exchange(collection: list[ItemInfo]) -> list[Thread]:
    """Three sheets from an exchange with a French society, tagged ``#Église`` in any spelling:
    one tag on three items, a Research thread that refers to them, and a mention. A fourth is
    tagged ``#eglise`` without the accent — a different tag, for an expert to fold into
    ``#église`` by making it a synonym (the README's curation walk-through)."""
    sheets = [i for i in collection if i.kind == "sheet"][20:24]
    spellings = ("#Église", "#église", "#ÉGLISE")
    threads = [
        Thread(
            "Label in French",
            [
                Post(
                    volunteer,
                    "The label is in French: *près de l'église*, with a parish name I can't "
                    f"read. One of the exchange sheets? {spelling} #exchange",
                ),
                Post(
                    "eleanor",
                    "Yes, it came with the 1891 exchange. The parish is on the society's list; "
                    "I'll add it to the catalogue. #exchange",
                ),
            ],
            item=sheet.external_id,
        )
        for sheet, spelling, volunteer in zip(
            sheets[:3], spellings, ("quillpen", "inkhunter", "lichen_lady"), strict=True
        )
    ]
    threads.append(
        Thread(
            "Another French label?",
            [
                Post(
                    "inkhunter",
                    "My keyboard has no accents: this label says *chemin de l'eglise* too. #eglise",
                )
            ],
            item=sheets[3].external_id,
        )
    )
    refs = ", ".join(f"^{sheet.external_id}" for sheet in sheets[:3])
    threads.append(
        Thread(
            "Sheets from the French exchange",
            [
                Post(
                    "quillpen",
                    f"Three sheets have French labels: {refs}. I've tagged them #Église so "
                    "they can be found together. @eleanor, do you know how they got here?",
                ),
                Post(
                    "eleanor",
                    "The society swapped duplicates with a botanical society in Normandy in "
                    "1891. Please keep tagging them #église (capitals don't matter).",
                ),
            ],
            board="Research",
        )
    )
    return threads


def all_threads(rng: random.Random, collection: list[ItemInfo]) -> list[Thread]:
    """About a hundred discussions: every general board, and many items (some twice)."""
    threads = _general_threads(collection) + _french_exchange(collection)
    sheets = [i for i in collection if i.kind == "sheet"]
    registers = [i for i in collection if i.kind == "register"]
    discussed = rng.sample(sheets, 62) + rng.sample(sheets[:40], 8)
    for n, item in enumerate(discussed):
        other = rng.choice([s for s in sheets if s.meta["collector"] == item.meta["collector"]])
        threads.append(_sheet_threads(rng, item, other, n % 8))
    for n, item in enumerate(rng.sample(registers, 17)):
        threads.append(_register_thread(rng, item, rng.choice(registers), n % 3))
    for thread in threads:
        if thread.item is not None and rng.random() < 0.4:
            thread.posts.append(Post(rng.choice(VOLUNTEERS), rng.choice(CHATTER)))
    return threads
