"""Synthetic MesInfos-style households: every source, coherent, realistic, seeded.

Entry points: :func:`synthetic_data.population.generate_household` for one household in memory,
:func:`synthetic_data.population.generate_population` to write a population to disk.
"""

__version__ = "0.1.0"
