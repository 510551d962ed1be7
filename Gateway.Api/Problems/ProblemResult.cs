using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Problems;

/// <summary>An action result that writes a problem as <c>application/problem+json</c>, whatever the action's
/// <c>[Produces]</c> says.</summary>
public sealed class ProblemResult(ProblemDetails problem) : IActionResult
{
    public ProblemDetails Problem { get; } = problem;

    public Task ExecuteResultAsync(ActionContext context) => ProblemWriter.WriteAsync(context.HttpContext, Problem);
}
