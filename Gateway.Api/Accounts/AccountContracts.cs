namespace Gateway.Api.Accounts;

/// <summary>Who the caller is and what the IMAP server can do.</summary>
public sealed record AccountResponse(string AccountId, string Username, CapabilitiesResponse Capabilities, QuotaResponse? Quota);

/// <summary>IMAP extensions the server offers that change what the gateway can do fast.</summary>
public sealed record CapabilitiesResponse(
    bool Condstore,
    bool Qresync,
    bool ObjectId,
    bool Sort,
    bool Thread,
    bool Idle,
    bool Notify,
    bool Move,
    bool Utf8);

/// <summary>Storage quota of the account, when the server reports one.</summary>
/// <param name="UsedBytes">Bytes used.</param>
/// <param name="LimitBytes">Bytes allowed.</param>
/// <param name="UsedMessages">Messages stored, where the server counts them.</param>
/// <param name="LimitMessages">Messages allowed, where the server limits them.</param>
public sealed record QuotaResponse(long? UsedBytes, long? LimitBytes, long? UsedMessages, long? LimitMessages);
