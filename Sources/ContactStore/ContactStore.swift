// The ContactStore protocol and its SQLite and PostgreSQL implementations arrive with issue #4.
