# Users and tokens use the admins Django and DRF register (auth.User, authtoken.TokenProxy).
