"""The course: its nine exercises, their trained starters, stored references and solutions,
and the catalogue that names learners' known mistakes and links the lessons teaching them."""
