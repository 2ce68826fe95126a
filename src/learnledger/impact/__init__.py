"""Impact: isolating a programme's effect on an outcome, and turning it into money and ROI.

The estimators work on generic data (a panel of units over periods with a treatment start, or a
cross-section with a treatment flag), so they serve any outcome of the canonical model and any
treatment definition; `learnledger.impact.panels` builds those inputs from the store.
"""
