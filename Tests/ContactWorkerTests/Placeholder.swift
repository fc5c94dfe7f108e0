// Worker integration tests arrive with issue #5.
