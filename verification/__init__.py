"""verification: JAX as an independent oracle for manualbp's hand-derived gradients.

The cost is written again here from its definition; manualbp is imported only to call the code
under test.
"""
