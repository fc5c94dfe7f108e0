// The shared ContactStore suite arrives with issue #4.
