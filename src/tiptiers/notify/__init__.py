"""E-mail notices: the texts (templates/, one `KIND.txt` whose first line is the subject and one `KIND.html` per
kind) and the SMTP conversation (`mail`). The records and the queue are in tiptiers.store.notices."""
