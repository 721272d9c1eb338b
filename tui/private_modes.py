"""The modes of what only its owner may read: the config (it may hold tokens), the ledger
(it holds the token it accepts), the journal and cache (notes and names), the timer
starts. One place, below every layer that writes such a file, importing nothing."""

FOLDER_MODE = 0o700
FILE_MODE = 0o600
