"""The decision engine: pure functions from a profile and a snapshot to a recommendation.

answers -> profile -> constraints -> weights -> decision matrix -> ranking -> recommendation.
"""
