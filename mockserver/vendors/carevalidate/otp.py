"""CareValidate's OTP sign-in: ``sendOtp`` and ``verifyOtp``, with state in the store.

The code is the FIXED local test code **123456** (``TEST_OTP``). ``sendOtp`` always answers the
generic 200 (``SENT``) and issues an OTP only to a known patient of the calling organisation, valid
``OTP_TTL`` seconds on the mock clock. ``verifyOtp`` answers 401 (``OTP_REFUSALS``): "Invalid
credentials" for an unknown patient; "Invalid verification code" for a wrong code (it counts: the
``OTP_MAX_ATTEMPTS``-th wrong one kills the OTP), or when no live OTP was issued; "Verification code
already used" the second time. The OTP is the patient's: verify may name either identifier.
Success: an HS512 access JWT valid ``ACCESS_TTL`` on the mock clock, an opaque refresh token (not
redeemable: the spec has no refresh operation), ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from starlette.responses import Response

from mockserver.errors import VendorError
from mockserver.vendors import Call, Handler
from mockserver.vendors.carevalidate.calls import VALIDATION, Portal
from mockserver.vendors.carevalidate.tokens import ACCESS_TTL, _jwt_key, sign_jwt

TEST_OTP = "123456"
OTP_TTL = 300
OTP_MAX_ATTEMPTS = 5
OTP_NAMESPACE = "carevalidate:otp"  # "<tenant>:<identifier>" -> {"issued", "attempts", "used"}
TOKEN_SEQUENCE = "carevalidate:token"  # store sequence of minted token ids (jti)
SENT = "If the account exists, a verification code has been sent."
OTP_REFUSALS = frozenset({"Invalid credentials", "Invalid verification code", "Verification code already used"})


def otp_operations(portal: Portal) -> dict[str, Handler]:
    """The handlers of ``sendOtp`` and ``verifyOtp`` for ``portal``'s API."""
    api, book, checked = portal.api, portal.book, portal.checked

    async def send_otp(call: Call) -> Response:
        body = checked(call)
        member = "email" if "email" in body else "phoneNumber"
        found = book[call.tenant.name].patient(member, str(body[member]))
        if found is not None:  # nobody else learns whether the patient exists
            record = {"issued": api.now(), "attempts": 0, "used": False}
            api.store.put_value(OTP_NAMESPACE, f"{call.tenant.name}:{found.id}", json.dumps(record))
        return api.json(call, {"status": 200, "success": True, "message": SENT})

    async def verify_otp(call: Call) -> Response:
        body = checked(call)
        member = "email" if "email" in body else "phoneNumber"
        found = book[call.tenant.name].patient(member, str(body[member]))
        if found is None:
            raise VendorError(401, VALIDATION, "Invalid credentials")
        slot = f"{call.tenant.name}:{found.id}"
        saved = api.store.get_value(OTP_NAMESPACE, slot)
        record = json.loads(saved) if saved else None
        if record is not None and record["used"]:
            raise VendorError(401, VALIDATION, "Verification code already used")
        live = record is not None and api.now() <= record["issued"] + OTP_TTL
        if record is None or not live or record["attempts"] >= OTP_MAX_ATTEMPTS or body["code"] != TEST_OTP:
            if record is not None and live:
                record["attempts"] += 1
                api.store.put_value(OTP_NAMESPACE, slot, json.dumps(record))
            raise VendorError(401, VALIDATION, "Invalid verification code")
        api.store.put_value(OTP_NAMESPACE, slot, json.dumps({**record, "used": True}))
        now, jti = int(api.now()), str(api.store.next_seq(TOKEN_SEQUENCE))
        claims = {"userId": found.id, "organizationId": book[call.tenant.name].id, "type": "patient-portal",
                  "iat": now, "exp": now + ACCESS_TTL, "jti": jti}  # fmt: skip
        refresh = hmac.new(_jwt_key(api.derive), f"refresh:{jti}".encode(), hashlib.sha256).hexdigest()
        tokens = {"accessToken": sign_jwt(api.derive, claims), "refreshToken": refresh, "expiresIn": ACCESS_TTL}
        return api.json(call, {"status": 200, "success": True, "data": tokens}, headers={"Cache-Control": "no-store"})

    return {"sendOtp": send_otp, "verifyOtp": verify_otp}
