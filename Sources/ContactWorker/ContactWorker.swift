// The worker pipeline and its services arrive with issue #5.
