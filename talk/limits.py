"""Every field limit of Talk, defined once.

The models size their columns with these, the services refuse longer text with them, and the
API schemas and web forms quote them, so a limit changes in one place. Migrations keep their
own literals: they record what the schema was when they ran.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------------- ids

#: Ids are 32-bit integer columns; a larger number names nothing.
MAX_ID = 2**31 - 1
#: A URL stored or accepted anywhere (item images, IIIF links, source pages).
MAX_URL = 2000

# -------------------------------------------------------------------------------- accounts

MAX_USERNAME = 40
MAX_DISPLAY_NAME = 80
MAX_EMAIL = 254  # RFC 5321's longest address
MAX_TOKEN_NAME = 80

# -------------------------------------------------------------------------------- projects

#: A project's slug (also the length :data:`talk.services.validation.SLUG_RE` allows).
MAX_PROJECT_SLUG = 64
MAX_PROJECT_TITLE = 200
MAX_PROJECT_DESCRIPTION = 20_000
MAX_IMAGE_HOSTS = 50  # hosts a project trusts for images in comments
MAX_BOARD_TITLE = 120
MAX_BOARD_DESCRIPTION = 2000
MAX_MEMBER_LABEL = 80
MAX_ITEM_EXTERNAL_ID = 200
MAX_ITEM_TITLE = 300
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY = 100
MAX_METADATA_VALUE = 2000

# ----------------------------------------------------------------------------- discussions

MAX_DISCUSSION_TITLE = 200
MAX_HIDE_REASON = 500
MAX_MODERATOR_NOTE = 500

# ------------------------------------------------------------------------------------ tags

#: Shortest and longest tag name (a longer ``#hashtag`` is not a tag; see :mod:`talk.markup`).
MIN_TAG_NAME = 2
MAX_TAG_NAME = 64
#: Column width of tag names (tags, curation history); the names Talk stores are at most
#: :data:`MAX_TAG_NAME`.
TAG_NAME_COLUMN = 100
MAX_AUTHORITY_URI = 500
MAX_TAG_DESCRIPTION = 2000
#: Synonyms given at once (curating a tag, or in the API's list).
MAX_SYNONYMS = 50
MAX_VERDICT_NOTE = 500
#: Most curation actions one history request may ask for.
MAX_HISTORY = 100
#: Longest group name an ``@group`` mention stores (see ``MENTION_GROUPS``).
MAX_MENTION_GROUP = 16

# ------------------------------------------------------------------------------ tag groups

#: Column width of a group's slug; the slugs Talk makes are at most :data:`MAX_GROUP_SLUG`.
GROUP_SLUG_COLUMN = 80
MAX_GROUP_SLUG = 64
MAX_GROUP_TITLE = 200
MAX_GROUP_DESCRIPTION = 2000
MAX_GROUP_QUERY = 500
