"""A stateful fake of the five export APIs, served by one Connexion app."""
