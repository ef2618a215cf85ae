"""The classroom: reading learners' files, running their code in isolation, and grading a file,
a folder or a whole class into the formats teachers and platforms read."""
