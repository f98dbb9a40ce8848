"""perfeval-xl: budget performance self-evaluation (预算绩效自评) in Excel, scored by one engine."""
__version__ = "0.1.0"
