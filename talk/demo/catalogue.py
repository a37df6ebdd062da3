"""What the demo herbarium holds and who works on it: the project's constants, the species and
their collectors and places, the 220 items drawn from the seed, and the people in every role."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

DEMO_SLUG = "wessex-herbarium"
DEMO_TITLE = "Wessex Herbarium: sheets and registers"
DEMO_DESCRIPTION = (
    "Help us read the labels of 180 herbarium sheets collected in Dorset and Wiltshire between "
    "1862 and 1913, and the accession registers that record where they came from. Every sheet "
    "and register page has its own discussion: ask about handwriting, places and people, and "
    "our curator will answer."
)
DEMO_PASSWORD = "talk-demo"  # noqa: S105 (published demo logins)
DEFAULT_SEED = 1887
IMAGE_DIR = Path(__file__).resolve().parent.parent / "static" / "demo"
IMAGE_URL = "/static/demo/"
WINDOW = timedelta(days=42)

# ---------------------------------------------------------------------------------------------
# The collection


@dataclass(frozen=True)
class Species:
    name: str
    family: str
    common: str
    form: str  # how its sheet is drawn: herb, spike, fern, grass, twig, umbel
    colour: str  # flowers or fruit
    part: str  # what still shows its colour on the sheet

    @property
    def image(self) -> str:
        return "sheet-" + self.name.lower().replace(" ", "-") + ".svg"


SPECIES: tuple[Species, ...] = (
    Species("Orchis mascula", "Orchidaceae", "early-purple orchid", "spike", "#8e4f9c", "petals"),
    Species("Digitalis purpurea", "Plantaginaceae", "foxglove", "spike", "#b4588c", "flowers"),
    Species("Primula veris", "Primulaceae", "cowslip", "herb", "#d8b23f", "flowers"),
    Species("Ranunculus acris", "Ranunculaceae", "meadow buttercup", "herb", "#e2c12e", "petals"),
    Species("Centaurea nigra", "Asteraceae", "common knapweed", "herb", "#7b4a86", "flower heads"),
    Species("Campanula rotundifolia", "Campanulaceae", "harebell", "herb", "#6c7cc4", "bells"),
    Species("Dryopteris filix-mas", "Dryopteridaceae", "male fern", "fern", "#6b5a2a", "sori"),
    Species("Polypodium vulgare", "Polypodiaceae", "common polypody", "fern", "#a0662a", "sori"),
    Species("Briza media", "Poaceae", "quaking-grass", "grass", "#b49a5a", "spikelets"),
    Species("Anthoxanthum odoratum", "Poaceae", "sweet vernal-grass", "grass", "#a08a4a", "spike"),
    Species("Quercus robur", "Fagaceae", "pedunculate oak", "twig", "#8a6a3a", "acorns"),
    Species("Crataegus monogyna", "Rosaceae", "hawthorn", "twig", "#a8322c", "haws"),
    Species("Fagus sylvatica", "Fagaceae", "beech", "twig", "#7a5a30", "mast"),
    Species("Hedera helix", "Araliaceae", "ivy", "twig", "#2f3a2a", "berries"),
    Species("Heracleum sphondylium", "Apiaceae", "hogweed", "umbel", "#f3eee0", "umbels"),
    Species("Daucus carota", "Apiaceae", "wild carrot", "umbel", "#f6f2e6", "umbels"),
)
REGISTER_PAGES = 6
SHEETS = 180
REGISTER_ITEMS = 40

COLLECTORS = (
    "Edith M. Ashworth",
    "Rev. Henry J. Pemberton",
    "Clara Ferrars",
    "James W. Holloway",
    "Agnes Whitcombe",
    "Thomas Berridge",
    "Dr. Frances Lyle",
)
# (short place name, locality as written on the label)
LOCALITIES = (
    ("Cerne Abbas", "Chalk downland above Cerne Abbas, Dorset"),
    ("Sixpenny Handley", "Hedgebank by the lane to Sixpenny Handley"),
    ("Dorchester", "Wet meadow by the River Frome, Dorchester"),
    ("Cranborne Chase", "Oak woodland, Cranborne Chase"),
    ("Wareham", "Sandy heath near Wareham"),
    ("Portland", "Limestone cliffs, Isle of Portland"),
    ("Salisbury", "Water meadows below Salisbury"),
    ("Bradford Abbas", "Churchyard wall, Bradford Abbas"),
    ("Maiden Castle", "Ramparts of Maiden Castle"),
    ("Lulworth", "Cliff top east of Lulworth Cove"),
    ("Shaftesbury", "Greensand lane below Shaftesbury"),
    ("Tollard Royal", "Beech hanger near Tollard Royal"),
)
DONORS = ("Mrs. E. Ashworth", "Rev. H. J. Pemberton", "Miss C. Ferrars", "Mr. T. Berridge")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")


@dataclass
class ItemInfo:
    external_id: str
    title: str
    kind: str  # sheet or register
    meta: dict[str, str]
    species: Species | None = None


def item_path(item: ItemInfo) -> str:
    return f"/projects/{DEMO_SLUG}/items/{item.external_id}"


def build_collection(rng: random.Random) -> list[ItemInfo]:
    """The 220 items: herbarium sheets, then accession-register pages."""
    collection: list[ItemInfo] = []
    for n in range(SHEETS):
        species = SPECIES[n % len(SPECIES)]
        place, locality = rng.choice(LOCALITIES)
        year = rng.randint(1862, 1913)
        month = rng.randint(3, 9)
        day = rng.randint(1, 28)
        meta = {
            "catalogue_number": f"WNS-H-{4100 + n * 7 + rng.randint(0, 6):06d}",
            "scientific_name": species.name,
            "family": species.family,
            "common_name": species.common,
            "collector": rng.choice(COLLECTORS),
            "date": f"{day} {MONTHS[month - 1]} {year}",
            "date_on_label": f"{day}.{ROMAN[month - 1]}.{year}",
            "locality": locality,
            "place": place,
        }
        collection.append(
            ItemInfo(
                external_id=str(73100001 + n),
                title=f"{species.name} — {place}, {year}",
                kind="sheet",
                meta=meta,
                species=species,
            )
        )
    for n in range(REGISTER_ITEMS):
        volume = 3 + n // 20
        page = 1 + n % 20 * 2 + volume
        first_year = 1880 + volume * 3 + (n % 20) // 7
        meta = {
            "catalogue_number": f"WNS-AR/{volume}/{page:03d}",
            "volume": str(volume),
            "page": str(page),
            "years": f"{first_year}–{first_year + 1}",
            "clerk": rng.choice(("W. Cole", "H. J. Pemberton", "M. Dacre")),
            "entries": str(rng.randint(18, 24)),
        }
        collection.append(
            ItemInfo(
                external_id=str(73200001 + n),
                title=f"Accession register vol. {volume}, p. {page}",
                kind="register",
                meta=meta,
            )
        )
    return collection


def label(key: str) -> str:
    """A metadata name as people read it: ``catalogue_number`` → ``Catalogue number``."""
    return key.replace("_", " ").capitalize()


def image_for(index: int, info: ItemInfo) -> str:
    if info.species is not None:
        return IMAGE_URL + info.species.image
    return IMAGE_URL + f"register-page-{index % REGISTER_PAGES + 1}.svg"


# ---------------------------------------------------------------------------------------------
# The people


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: str | None  # project role; None: an ordinary volunteer (or the site admin)
    site_admin: bool = False
    label: str = ""

    @property
    def role_name(self) -> str:
        if self.site_admin:
            return "site admin"
        if self.label:
            return f"{self.role} ({self.label})"
        return self.role or "volunteer"


PEOPLE: tuple[Person, ...] = (
    Person("priya", "Priya Raman", None, site_admin=True),
    Person("olivia", "Olivia Hart", "owner"),
    Person("adam", "Adam Fletcher", "admin"),
    Person("maya", "Maya Costa", "moderator"),
    Person("eleanor", "Dr Eleanor Marsh", "expert", label="Herbarium curator"),
    Person("tomas", "Tomás Reyes", "team"),
    Person("fern_finder", "Fern Finder", "volunteer"),
    Person("margaret_moss", "Margaret Moss", None),
    Person("kew_walker", "Kew Walker", None),
    Person("botanybee", "Botany Bee", None),
    Person("inkhunter", "Ink Hunter", None),
    Person("lichen_lady", "Lichen Lady", None),
    Person("quillpen", "Quill Pen", None),
    Person("downland_dave", "Dave from the Downs", None),
)
VOLUNTEERS = tuple(p.username for p in PEOPLE if p.role in (None, "volunteer") and not p.site_admin)
STAFF = ("eleanor", "tomas", "maya")
