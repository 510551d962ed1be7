using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Problems;

/// <summary>Builds the RFC 9457 bodies of the contract: <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, and the
/// extensions <c>code</c>, <c>traceId</c>, and where known <c>retryable</c> and <c>imapCode</c>.</summary>
public static class ProblemWriter
{
    public static ProblemDetails Create(HttpContext context, ProblemType type, string? detail, bool? retryable = null, string? imapCode = null)
    {
        var problem = new ProblemDetails
        {
            Type = type.Uri,
            Title = type.Title,
            Status = type.Status,
            Detail = detail ?? type.Title,
            Instance = context.Request.Path,
        };
        Decorate(context, problem, type, retryable, imapCode);
        return problem;
    }

    /// <summary>Fills in the contract's extensions on a problem created elsewhere (framework, validation).</summary>
    public static void Decorate(HttpContext context, ProblemDetails problem, ProblemType? type = null, bool? retryable = null, string? imapCode = null)
    {
        type ??= problem.Type is { } uri && uri.StartsWith(ProblemTypes.BaseUri, StringComparison.Ordinal)
            ? new ProblemType(uri[ProblemTypes.BaseUri.Length..], problem.Status ?? 500, problem.Title ?? string.Empty)
            : ProblemTypes.ForStatus(problem.Status ?? context.Response.StatusCode);
        problem.Type = type.Uri;
        problem.Status ??= type.Status;
        problem.Title ??= type.Title;
        problem.Detail ??= type.Title;
        problem.Instance ??= context.Request.Path;
        problem.Extensions["code"] = type.Code;
        problem.Extensions["traceId"] = Activity.Current?.Id ?? context.TraceIdentifier;
        if (retryable is not null)
        {
            problem.Extensions["retryable"] = retryable;
        }

        if (imapCode is not null)
        {
            problem.Extensions["imapCode"] = imapCode;
        }
    }

    /// <summary>Writes a problem as <c>application/problem+json</c>.</summary>
    public static Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status ?? 500;
        return context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, ProblemTypes.ContentType, context.RequestAborted);
    }
}
