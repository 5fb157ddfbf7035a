# The machine name uname(2) reports (newuname).
uname -m
